//go:build wasip1

// Command longjob is a nexus-v1 task that shows progress reports and
// checkpoints. Its input is a decimal step count N (empty means 1000). Step
// i feeds the 8 little-endian bytes of i into a 64-bit FNV-1a hash (offset
// basis 0xcbf29ce484222325, prime 0x100000001b3) and reports progress
// (i+1, N); every 100 steps it saves a checkpoint. The output is the final
// hash as 16 lowercase hex digits, the same in every language and whether
// or not the run resumed.
//
// The checkpoint is 16 bytes: the number of steps done, then the hash so
// far, each a little-endian u64. A retry of a durable task loads it and
// continues from there.
//
// Build (see examples/go/build.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o longjob.wasm .
package main

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	nexus "github.com/nexustask/nexus/abi/sdk/go"
)

func init() { nexus.Run(longjob) }

func main() {}

const (
	defaultSteps = 1000
	every        = 100 // steps between checkpoints

	offsetBasis = 0xcbf29ce484222325
	prime       = 0x100000001b3
)

func longjob(in []byte) ([]byte, error) {
	n := uint64(defaultSteps)
	if s := strings.TrimSpace(string(in)); s != "" {
		var err error
		if n, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, fmt.Errorf("longjob: input %q is not a decimal step count", s)
		}
	}
	i, h, err := resume(n)
	if err != nil {
		return nil, err
	}
	if i > 0 {
		nexus.Logf(nexus.LevelInfo, "resuming at step %d of %d", i, n)
	}
	var le [8]byte
	for ; i < n; i++ {
		binary.LittleEndian.PutUint64(le[:], i)
		for _, c := range le {
			h = (h ^ uint64(c)) * prime
		}
		nexus.Progress(int64(i+1), int64(n))
		if (i+1)%every == 0 {
			if err := nexus.SaveCheckpoint(state(i+1, h)); err != nil {
				return nil, fmt.Errorf("longjob: %w", err)
			}
		}
	}
	return fmt.Appendf(nil, "%016x", h), nil
}

// resume returns the step to start from and the hash so far: the task's
// checkpoint if it has a usable one, else step 0.
func resume(n uint64) (step, hash uint64, err error) {
	cp, found, err := nexus.LoadCheckpoint()
	if err != nil {
		return 0, 0, fmt.Errorf("longjob: %w", err)
	}
	if !found || len(cp) != 16 || binary.LittleEndian.Uint64(cp) > n {
		return 0, offsetBasis, nil
	}
	return binary.LittleEndian.Uint64(cp), binary.LittleEndian.Uint64(cp[8:]), nil
}

func state(step, hash uint64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, step)
	return binary.LittleEndian.AppendUint64(b, hash)
}
