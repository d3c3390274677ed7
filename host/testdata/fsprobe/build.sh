#!/usr/bin/env bash
# Rebuilds ../fsprobe.wasm (a wasi-command) and ../fsprobe_v1.wasm (a
# nexus-v1 reactor) from main.c, reproducibly, with clang and wasi-libc
# (Debian: clang lld wasi-libc libclang-rt-dev-wasm32).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cc="${CC:-clang}"
cflags=(--target=wasm32-wasi "--sysroot=${SYSROOT:-/usr}" -std=c11 -Os -Wall -Wextra -g0
	"-ffile-prefix-map=$root=." -I "$root/abi/sdk/c")
ldflags=(-Wl,--strip-all -Wl,--stack-first)
"$cc" "${cflags[@]}" "${ldflags[@]}" -o "$here/../fsprobe.wasm" "$here/main.c"
"$cc" "${cflags[@]}" -DNEXUS_V1 -mexec-model=reactor "${ldflags[@]}" -o "$here/../fsprobe_v1.wasm" "$here/main.c"
echo "built host/testdata/fsprobe.wasm and fsprobe_v1.wasm"
