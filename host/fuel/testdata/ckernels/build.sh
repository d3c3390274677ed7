#!/usr/bin/env bash
# Rebuilds testdata/ckernels.wasm, the C kernels guest, reproducibly with
# clang and wasi-libc (Debian: clang lld wasi-libc libclang-rt-dev-wasm32).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
sha="$root/examples/c/sha256"
"${CC:-clang}" --target=wasm32-wasi "--sysroot=${SYSROOT:-/usr}" -std=c11 -O2 -Wall -Wextra -g0 \
	"-ffile-prefix-map=$root=." -I "$sha" \
	-Wl,--strip-all -Wl,--stack-first -Wl,-z,stack-size=1048576 \
	-o "$here/../ckernels.wasm" "$here/main.c" "$sha/sha256.c"
