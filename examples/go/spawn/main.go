//go:build wasip1

// Command spawn is a nexus-v1 task that fans out to child tasks. Its input
// is lines of text; for each non-empty line it spawns a child task of the
// module named by the configuration value "child" (default "sha256") with
// input "1:LINE", then awaits the children in order and writes each one's
// output on a line of its own. A child that fails fails the task.
//
// Build (see examples/go/build.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o spawn.wasm .
package main

import (
	"bytes"
	"fmt"

	nexus "github.com/nexustask/nexus/abi/sdk/go"
)

func init() { nexus.Run(fanOut) }

func main() {}

func fanOut(in []byte) ([]byte, error) {
	child, found := nexus.Config("child")
	if !found {
		child = "sha256"
	}
	var children []nexus.Handle
	for _, line := range bytes.Split(in, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		h, err := nexus.Spawn(child, append([]byte("1:"), line...), nil)
		if err != nil {
			return nil, fmt.Errorf("spawn: line %d: %w", len(children)+1, err)
		}
		children = append(children, h)
	}
	var out []byte
	for i, h := range children {
		res, err := nexus.Await(h)
		if err != nil {
			return nil, fmt.Errorf("spawn: line %d: %w", i+1, err)
		}
		out = append(append(out, res...), '\n')
	}
	return out, nil
}
