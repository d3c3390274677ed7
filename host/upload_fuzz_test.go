package host_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/host/fuel/fueltest"
)

// Bounds of one upload in FuzzUploadBounded. uploadDeadline is the compile
// timeout the fuzz target gives each upload (the server's is 30 s);
// uploadGrace is how far past it an upload may return: wazero checks the
// deadline between functions, and the structural limits keep the
// costliest function that fits at about 1.4 s on a 2-core machine, so the
// grace only absorbs a loaded machine. uploadMemory bounds the Go heap one
// upload may allocate (the worst module that fits any single limit
// allocates about 500 MB: bench/RESULTS.md).
const (
	uploadDeadline = 5 * time.Second
	uploadGrace    = 25 * time.Second
	uploadMemory   = 1 << 30
)

// FuzzUploadBounded generates structurally extreme but valid modules and
// runs each through the whole upload path (Prepare and Compile, as the
// registry does) under a compile deadline: every upload returns, with a
// compiled module or an invalid-module error (a structural limit or the
// compile timeout), within the deadline plus the grace, and allocates
// less than uploadMemory. The seeds are the attacks of the hardening
// review and modules at the limits; `go test` runs them.
func FuzzUploadBounded(f *testing.F) {
	f.Add(fueltest.Seed(0, 20_000, 20_000, 0))   // functions and mutable globals
	f.Add(fueltest.Seed(0, 400_000, 100_000, 0)) // more of both
	f.Add(fueltest.Seed(1, 1_000_000, 0, 0))     // 1M nested blocks
	f.Add(fueltest.Seed(2, 3_000_000, 0, 0))     // a 3M-entry br_table
	f.Add(fueltest.Seed(1, 2_000, 0, 9))         // nesting under the limit
	f.Add(fueltest.Seed(2, 4_000, 0, 4))         // br_tables under the limit
	f.Add(fueltest.Seed(3, 40_000, 0, 3))        // many locals
	f.Add(fueltest.Seed(5, 5_000, 5_000, 0))     // types and exports
	f.Add(fueltest.Seed(6, 4, 1_000_000, 0))     // tables over the ceiling
	f.Add(fueltest.Seed(7, 50_000, 20_000, 0))   // segments
	ctx := context.Background()
	rt, err := host.New(ctx, host.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, in []byte) {
		wasm := fueltest.FromFuzz(in).Encode()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		uctx, cancel := context.WithTimeout(ctx, uploadDeadline)
		defer cancel()
		art, err := rt.Prepare(uctx, wasm)
		if err == nil {
			var m *host.Module
			if m, err = rt.Compile(uctx, wasm, art); err == nil {
				m.Close(ctx)
			}
		}
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil && !errors.Is(err, host.ErrInvalidModule) {
			t.Fatalf("a valid module failed its upload with %v", err)
		}
		if took > uploadDeadline+uploadGrace {
			t.Errorf("upload of %d bytes returned after %v (deadline %v): %v", len(wasm), took, uploadDeadline, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uploadMemory {
			t.Errorf("upload of %d bytes allocated %d bytes: %v", len(wasm), alloc, err)
		}
	})
}
