//go:build wasip1

// Command sha256 is a CPU-heavy nexus-v1 task. Its input is "R:text": a
// decimal repeat count R, a colon, then any bytes. The output is the
// lowercase hex SHA-256 of text repeated R times (the bytes are hashed as
// a stream, never built in memory).
//
// Build (see examples/go/build.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o sha256.wasm .
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	nexus "github.com/nexustask/nexus/abi/sdk/go"
)

func init() { nexus.Run(hash) }

func main() {}

func hash(in []byte) ([]byte, error) {
	count, text, ok := bytes.Cut(in, []byte(":"))
	if !ok {
		return nil, errors.New(`sha256: input must be "R:text"`)
	}
	r, err := strconv.ParseUint(string(count), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("sha256: repeat count %q is not a decimal integer", count)
	}
	h := sha256.New()
	for i := uint64(0); i < r; i++ {
		h.Write(text)
	}
	return hex.AppendEncode(nil, h.Sum(nil)), nil
}
