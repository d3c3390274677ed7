package exampletest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host"
)

// CheckpointFormat decodes longjob's checkpoint, saved by a run of n
// steps, into the steps done and the hash so far.
type CheckpointFormat func(n uint64, cp []byte) (done, hash uint64, err error)

// CheckpointNDoneHash is the 24-byte checkpoint: three little-endian
// u64s, N, the steps done and the hash so far.
func CheckpointNDoneHash(n uint64, cp []byte) (done, hash uint64, err error) {
	if len(cp) != 24 {
		return 0, 0, fmt.Errorf("checkpoint is %d bytes, want 24", len(cp))
	}
	le := binary.LittleEndian
	if got := le.Uint64(cp); got != n {
		return 0, 0, fmt.Errorf("checkpoint for N=%d, want %d", got, n)
	}
	return le.Uint64(cp[8:]), le.Uint64(cp[16:]), nil
}

// CheckpointDoneHash is the 16-byte checkpoint: two little-endian u64s,
// the steps done and the hash so far.
func CheckpointDoneHash(_ uint64, cp []byte) (done, hash uint64, err error) {
	if len(cp) != 16 {
		return 0, 0, fmt.Errorf("checkpoint is %d bytes, want 16", len(cp))
	}
	le := binary.LittleEndian
	return le.Uint64(cp), le.Uint64(cp[8:]), nil
}

// FNV returns FNV-1a 64 over the little-endian u64 encodings of 0..n-1:
// longjob's result for n steps.
func FNV(n uint64) uint64 {
	h := uint64(0xcbf29ce484222325)
	var b [8]byte
	for i := range n {
		binary.LittleEndian.PutUint64(b[:], i)
		for _, c := range b {
			h = (h ^ uint64(c)) * 0x100000001b3
		}
	}
	return h
}

// Longjob checks the language's longjob: its output, final progress and
// last checkpoint for several step counts, and the checkpoint left by a
// run that ran out of fuel.
func Longjob(t *testing.T, l Lang) {
	e := NewEnv(t)
	m := l.compile(t, e, "longjob")
	for _, input := range []string{"1000", "", "250\n", "0", "7"} {
		n := uint64(1000)
		if s := strings.TrimSpace(input); s != "" {
			fmt.Sscan(s, &n)
		}
		res := e.Run(t, m, "longjob", host.Request{Input: []byte(input)})
		if got, want := string(res.Output), fmt.Sprintf("%016x", FNV(n)); got != want {
			t.Errorf("N=%d: output %s, want %s", n, got, want)
		}
		if res.Progress != [2]int64{int64(n), int64(n)} {
			t.Errorf("N=%d: progress %v", n, res.Progress)
		}
		if n >= 100 {
			done, hash, err := l.Checkpoint(n, res.Checkpoint)
			if err != nil || done != n/100*100 || hash != FNV(done) {
				t.Errorf("N=%d: checkpoint (%d, %x), %v", n, done, hash, err)
			}
		}
	}
	if msg := e.TaskError(t, m, host.Request{Input: []byte("ten")}); l.Messages.StepsPrefix != "" && !strings.HasPrefix(msg, l.Messages.StepsPrefix) {
		t.Errorf("bad input: error %q, want it to start with %q", msg, l.Messages.StepsPrefix)
	}

	// A budget of twice what 1000 steps use stops a long run partway; the
	// checkpoint it left must be a consistent point to resume from.
	full := e.Run(t, m, "longjob", host.Request{Input: []byte("1000")})
	const n = 100000
	res, err := e.RT.Run(context.Background(), m, host.Request{
		Input:     []byte(fmt.Sprint(n)),
		Namespace: "longjob",
		Limits:    host.Limits{Fuel: full.FuelUsed * 2},
	})
	var fe *host.FuelError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v, want a *host.FuelError", err)
	}
	if done := res.Progress[0]; done <= 0 || done >= n || res.Progress[1] != n {
		t.Errorf("progress %v, want partway", res.Progress)
	}
	done, hash, err := l.Checkpoint(n, res.Checkpoint)
	if err != nil || done == 0 || done%100 != 0 || done > uint64(res.Progress[0]) || hash != FNV(done) {
		t.Errorf("checkpoint (%d, %x), %v; progress %v", done, hash, err, res.Progress)
	}
	t.Logf("fuel used for 1000 steps: %d", full.FuelUsed)
}
