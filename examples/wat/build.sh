#!/usr/bin/env bash
# Rebuilds every .wasm under examples/wat and the WAT conformance guest
# from their .wat sources with wat2wasm (wabt), and checks that the WAT SDK
# (abi/sdk/wat/nexus_v1.wat, a snippet file that is also a valid module)
# assembles. Installs nothing. Runnable from any directory; wat2wasm emits
# no names or debug information by default, so the output is
# byte-for-byte reproducible for a given wabt.
#
#   examples/wat/build.sh
#   WAT2WASM=/path/to/wat2wasm examples/wat/build.sh
#
# On Debian: apt install wabt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
wat2wasm="${WAT2WASM:-wat2wasm}"
cd "$root"

"$wat2wasm" abi/sdk/wat/nexus_v1.wat --output=/dev/null
echo "checked abi/sdk/wat/nexus_v1.wat"

build() { # build SRC.wat: writes SRC.wasm beside it
	local src="$1" dst="${1%.wat}.wasm"
	"$wat2wasm" "$src" -o "$dst"
	echo "built $dst ($(wc -c <"$dst") bytes)"
}

# echo.wat and counter.wat at the top are the minimal modules the host and
# server tests use; each folder below is one example of the SDK.
find examples/wat -name '*.wat' | LC_ALL=C sort | while read -r src; do
	build "$src"
done
build conformance/guests/wat/guest.wat
