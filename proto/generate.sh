#!/bin/sh
# Regenerates the Go code of every .proto file here, with protoc (Debian's
# protobuf-compiler) and protoc-gen-go at the version go.mod requires.
set -eu
cd "$(dirname "$0")/.."
version=$(go list -m -f '{{.Version}}' google.golang.org/protobuf)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$version"
PATH="$bin:$PATH" protoc --go_out=. --go_opt=paths=source_relative proto/*.proto
