#!/usr/bin/env bash
# Rebuilds every AssemblyScript example's .wasm and the AssemblyScript
# conformance guest from source with the pinned compiler in
# abi/sdk/assemblyscript (package.json and package-lock.json; install it
# with `npm ci` there, as .ci/install-toolchains does). Installs nothing.
# Runnable from any directory; the output is byte-for-byte reproducible for
# the pinned compiler.
#
#   examples/assemblyscript/build.sh
#   ASC=/path/to/asc examples/assemblyscript/build.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sdk=abi/sdk/assemblyscript
asc="${ASC:-$root/$sdk/node_modules/.bin/asc}"
if [ ! -x "$asc" ]; then
	echo "asc not found at $asc: run 'npm ci' in $sdk (or .ci/install-toolchains)" >&2
	exit 1
fi

# asc names source files by their path relative to the directory it runs
# in (they appear in abort messages): build from the repository root so
# that the output does not depend on where it is checked out.
cd "$root"

# Flags: the SDK's abort handler replaces the env.abort import (a runtime
# error logs its message and traps), so the modules import only nexus_v1;
# no debug information, names or source maps are emitted.
common=(--use "abort=$sdk/assembly/abort/abort" --noColors)

task() { # task OUT SRC [extra asc flags...]
	local dst="$1" src="$2"
	shift 2
	"$asc" "$src" "${common[@]}" "$@" -o "$dst"
	echo "built $dst ($(wc -c <"$dst") bytes)"
}

# -Osize keeps the I/O-bound tasks small; sha256 is a CPU-bound kernel, so
# it is optimized for speed (and so for fuel).
for ex in wordcount counter longjob; do
	task "examples/assemblyscript/$ex/$ex.wasm" "examples/assemblyscript/$ex/main.ts" -Osize
done
task examples/assemblyscript/sha256/sha256.wasm examples/assemblyscript/sha256/main.ts -Ospeed
task examples/assemblyscript/spawn/spawn.wasm examples/assemblyscript/spawn/main.ts -Osize
task conformance/guests/assemblyscript/guest.wasm conformance/guests/assemblyscript/guest.ts -Ospeed
