#!/usr/bin/env bash
# Rebuilds the Go guest artifacts of NexusTask from source: every example
# .wasm under examples/go (except echo, a plain wasi-command built by its own
# command) and the Go conformance guest. Runs from any directory. The
# builds are reproducible: the same Go toolchain gives the same bytes.
#
# Usage: examples/go/build.sh        (GO=/path/to/go to pick a toolchain)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
go="${GO:-go}"

export GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0
# -buildmode=c-shared makes a reactor (exports _initialize, no _start);
# -trimpath and -buildvcs=false keep paths and VCS state out of the binary;
# -s -w drop the name section and debug info.
flags=(-buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w')

# The SDK is Go source: check that it builds and vets for the target.
"$go" vet ./abi/sdk/go/

build() { # build <package dir> <output .wasm>
	"$go" build "${flags[@]}" -o "$2" "./$1"
	printf '%-45s %9d bytes\n' "$2" "$(wc -c <"$2")"
}

for ex in wordcount counter longjob sha256 echoreactor spawn; do
	build "examples/go/$ex" "examples/go/$ex/$ex.wasm"
done
build conformance/guests/go conformance/guests/go/guest.wasm
