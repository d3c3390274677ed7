package fuel_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/fuel/fueltest"
)

var limitShape = fueltest.Seed

// FuzzStructuralLimits generates structurally extreme but valid modules and
// checks that Instrument either refuses one with a *LimitError or accepts
// it, allocating in proportion to its size either way, and that what it
// accepts wazero validates, before and after instrumentation. The seeds are
// the shapes of an attacker review.
func FuzzStructuralLimits(f *testing.F) {
	f.Add(limitShape(0, 20_000, 20_000, 0))
	f.Add(limitShape(0, 400_000, 100_000, 0))
	f.Add(limitShape(1, 100_000, 0, 0))
	f.Add(limitShape(1, 1_000_000, 0, 0))
	f.Add(limitShape(2, 3_000_000, 0, 0))
	f.Add(limitShape(1, 2_000, 0, 99))
	f.Add(limitShape(2, 4_000, 0, 20))
	f.Add(limitShape(3, 50_000, 0, 25))
	f.Add(limitShape(4, 200_000, 0, 80))
	f.Add(limitShape(5, 20_000, 20_000, 0))
	f.Add(limitShape(6, 200, 0x7fffffff, 0))
	f.Add(limitShape(7, 300_000, 100_000, 0))
	f.Fuzz(func(t *testing.T, in []byte) {
		wasm := fueltest.FromFuzz(in).Encode()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out, err := fuel.Instrument(wasm, fuel.DefaultConfig())
		runtime.ReadMemStats(&after)
		// The rewriting turns an empty 4-byte function into about 40
		// bytes, which the output buffers hold a few times over.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 80*uint64(len(wasm))+1<<20 {
			t.Errorf("Instrument allocated %d bytes for a %d-byte module (%v)", alloc, len(wasm), err)
		}
		if err != nil {
			if le := (*fuel.LimitError)(nil); !errors.As(err, &le) {
				t.Fatalf("valid module refused with %v", err)
			}
			return
		}
		if err := validate(wasm); err != nil {
			t.Fatalf("accepted, but wazero refuses the input: %v", err)
		}
		if err := validate(out); err != nil {
			t.Fatalf("accepted, but wazero refuses the output: %v", err)
		}
	})
}
