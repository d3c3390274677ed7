//go:build wasip1

// Command echoreactor is a nexus-v1 task that returns its input unchanged:
// the Go echo as a reactor, so that the host can snapshot it after the Go
// runtime's start-up (see README.md).
//
// Build (see examples/go/build.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o echoreactor.wasm .
package main

import nexus "github.com/nexustask/nexus/abi/sdk/go"

func init() { nexus.Run(echo) }

func main() {}

// echo returns in as the output. The SDK has read the whole input into a
// fresh slice, so returning it is safe.
func echo(in []byte) ([]byte, error) { return in, nil }
