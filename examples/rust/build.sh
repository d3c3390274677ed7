#!/usr/bin/env bash
# Rebuilds the Rust SDK (abi/sdk/rust), every Rust example's .wasm and the
# Rust conformance guest from source, with plain rustc (no cargo, no
# crates). Runnable from any directory; the output is byte-for-byte
# reproducible for a given rustc.
#
#   examples/rust/build.sh            # uses /usr/bin/rustc
#   RUSTC=/path/to/rustc examples/rust/build.sh
#
# The rustc needs the wasm32-wasi standard library (Debian:
# libstd-rust-dev-wasm32).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rustc="${RUSTC:-/usr/bin/rustc}"
target=wasm32-wasi
sdk="$root/abi/sdk/rust"
out="$sdk/target/$target"

# Shared flags: size-optimized, panics abort (a panic traps the task after
# printing its message to stderr, which the host keeps as task logs), and
# source paths recorded relative to the repository so that the output does
# not depend on where it is checked out.
common=(--edition 2021 --target "$target" -C panic=abort -C codegen-units=1
	--remap-path-prefix "$root=.")

# rustc records its working directory in the rlib's metadata: build from
# the repository root, which the remapping above hides.
cd "$root"
mkdir -p "$out"
"$rustc" "${common[@]}" -C opt-level=s --crate-type=rlib --crate-name nexus \
	-o "$out/libnexus.rlib" "$sdk/src/lib.rs"
echo "built abi/sdk/rust/target/$target/libnexus.rlib"

# cdylib builds a nexus-v1 reactor: #[no_mangle] extern "C" functions
# (nexus_run, nexus_pure) and the linear memory are exported with no extra
# linker flags, and no _start is emitted. Link-time optimization and
# stripping keep the modules small.
task() { # task NAME SRC OUT [extra rustc flags...]
	local name="$1" src="$2" dst="$3"
	shift 3
	"$rustc" "${common[@]}" -C opt-level=s "$@" -C lto=fat -C strip=symbols \
		--crate-type=cdylib --crate-name "$name" \
		--extern nexus="$out/libnexus.rlib" -o "$dst" "$src"
	echo "built ${dst#"$root/"} ($(wc -c <"$dst") bytes)"
}

for ex in wordcount counter longjob; do
	task "$ex" "$here/$ex/src/lib.rs" "$here/$ex/$ex.wasm"
done
# sha256 is a CPU-bound kernel: optimize it for speed (and so for fuel).
task sha256 "$here/sha256/src/lib.rs" "$here/sha256/sha256.wasm" -C opt-level=3
task spawn "$here/spawn/src/lib.rs" "$here/spawn/spawn.wasm"
task guest "$root/conformance/guests/rust/src/lib.rs" "$root/conformance/guests/rust/guest.wasm"
