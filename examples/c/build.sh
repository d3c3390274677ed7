#!/usr/bin/env bash
# Rebuilds every C example's .wasm and the C conformance guest from source
# with clang and wasi-libc, and checks that the C SDK (abi/sdk/c/nexus.h, a
# single header with nothing to build) compiles cleanly as C99 and C11.
# Runnable from any directory; the output is byte-for-byte reproducible for
# a given clang and wasi-libc.
#
#   examples/c/build.sh                 # uses clang and the sysroot /usr
#   CC=clang-14 SYSROOT=/opt/wasi-sdk/share/wasi-sysroot examples/c/build.sh
#
# On Debian: apt install clang lld wasi-libc libclang-rt-dev-wasm32 (or
# the -14 versions of the last one).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cc="${CC:-clang}"
sysroot="${SYSROOT:-/usr}"
sdk="$root/abi/sdk/c"

# Compiler flags: no debug information, source paths recorded relative to
# the repository (they could only appear through __FILE__, but the build
# should not depend on where the repository is checked out), and the SDK
# header on the include path.
cflags=(--target=wasm32-wasi "--sysroot=$sysroot"
	-std=c11 -Wall -Wextra -g0 "-ffile-prefix-map=$root=." -I "$sdk")
# Linker flags: a WASI reactor (exports _initialize, no _start); no name or
# producers sections; and the 64 KiB shadow stack placed below the data, so
# that a stack overflow traps instead of overwriting static data.
ldflags=(-mexec-model=reactor -Wl,--strip-all -Wl,--stack-first)

cd "$root"

# The SDK: compile the header alone, pedantically, in both C standards.
for std in c99 c11; do
	echo '#include "nexus.h"' | "$cc" "${cflags[@]}" "-std=$std" -pedantic -Werror \
		-fsyntax-only -x c -
done
echo "checked abi/sdk/c/nexus.h (c99, c11)"

task() { # task OUT OPT SRC...
	local dst="$1" opt="$2"
	shift 2
	"$cc" "${cflags[@]}" "$opt" "${ldflags[@]}" -o "$dst" "$@"
	echo "built ${dst#"$root/"} ($(wc -c <"$dst") bytes)"
}

# -Os keeps the I/O-bound tasks small; sha256 is a CPU-bound kernel, so it
# is optimized for speed (and so for fuel).
task "$here/wordcount/wordcount.wasm" -Os "$here/wordcount/main.c"
task "$here/counter/counter.wasm" -Os "$here/counter/main.c"
task "$here/longjob/longjob.wasm" -Os "$here/longjob/main.c"
task "$here/sha256/sha256.wasm" -O3 "$here/sha256/main.c" "$here/sha256/sha256.c"
task "$here/spawn/spawn.wasm" -Os "$here/spawn/main.c"
task "$root/conformance/guests/c/guest.wasm" -O2 "$root/conformance/guests/c/guest.c"
