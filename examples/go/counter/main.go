//go:build wasip1

// Command counter is a nexus-v1 task that keeps a counter in the module's
// key-value store. It reads key "count" (a decimal number in ASCII; absent
// means 0), adds the configuration value "step" (decimal, default 1),
// stores the sum back and outputs it in decimal.
//
// Build (see examples/go/build.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o counter.wasm .
package main

import (
	"fmt"
	"strconv"

	nexus "github.com/nexustask/nexus/abi/sdk/go"
)

func init() { nexus.Run(count) }

func main() {}

const key = "count"

func count([]byte) ([]byte, error) {
	step := int64(1)
	if s, ok := nexus.Config("step"); ok {
		var err error
		if step, err = strconv.ParseInt(s, 10, 64); err != nil {
			return nil, fmt.Errorf("counter: config step %q is not a decimal integer", s)
		}
	}
	n := int64(0)
	v, found, err := nexus.KVGet(key)
	if err != nil {
		return nil, fmt.Errorf("counter: %w", err)
	}
	if found {
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return nil, fmt.Errorf("counter: stored value %q is not a decimal integer", v)
		}
	}
	n += step
	out := strconv.AppendInt(nil, n, 10)
	if err := nexus.KVSet(key, out); err != nil {
		return nil, fmt.Errorf("counter: %w", err)
	}
	return out, nil
}
