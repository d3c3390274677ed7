package fuel_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tetratelabs/wazero"
)

// watCase is a run of a WAT fixture: an export called with arguments.
type watCase struct {
	wasm, fn string
	args     []uint64
}

var watCases = []watCase{
	{"loop", "run", []uint64{1000}},
	{"features", "run", []uint64{0}},
	{"features", "run", []uint64{3}},
	{"exp_recursion", "run", []uint64{12}},
	{"deep_recursion", "run", []uint64{500}},
}

// TestDeterminism runs each guest 20 times, with varying slice sizes, and
// requires the same output and the same fuel every time.
func TestDeterminism(t *testing.T) {
	sliceSizes := []int64{1, 7, 1000, 1e6}
	r := newRuntime(t)
	for _, wc := range watCases {
		t.Run(wc.wasm, func(t *testing.T) {
			c, err := r.CompileModule(context.Background(), instrument(t, readWasm(t, "wat/"+wc.wasm+".wasm")))
			if err != nil {
				t.Fatal(err)
			}
			var first int64
			for i := 0; i < 20; i++ {
				_, used, err := metered(t, r, c, unlimited, sliceSizes[i%len(sliceSizes)], wc.fn, wc.args...)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = used
				} else if used != first {
					t.Fatalf("run %d used %d fuel, run 0 used %d", i, used, first)
				}
			}
			t.Logf("%s(%v): %d fuel, 20 runs", wc.fn, wc.args, first)
		})
	}
	k := newKernelRunner(t)
	for _, args := range [][]string{{"sha256", "64"}, {"sort", "2000"}, {"json", "20"}, {"map", "2000"}, {"fib", "18"}} {
		t.Run("go/"+args[0], func(t *testing.T) {
			var first int64
			var firstOut string
			for i := 0; i < 20; i++ {
				out, used, err := k.run(t, newMeter(unlimited, sliceSizes[2+i%2]), args...)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first, firstOut = used, out
				} else if used != first || out != firstOut {
					t.Fatalf("run %d: %d fuel, %q; run 0: %d fuel, %q", i, used, out, first, firstOut)
				}
			}
			t.Logf("%v: %d fuel, 20 runs", args, first)
		})
	}
}

// TestExactness checks that a run costing N fuel succeeds with a budget of
// N and fails with N-1, whatever the slice size.
func TestExactness(t *testing.T) {
	r := newRuntime(t)
	for _, wc := range watCases {
		c, err := r.CompileModule(context.Background(), instrument(t, readWasm(t, "wat/"+wc.wasm+".wasm")))
		if err != nil {
			t.Fatal(err)
		}
		_, n, err := metered(t, r, c, unlimited, 1e6, wc.fn, wc.args...)
		if err != nil {
			t.Fatal(err)
		}
		for _, slice := range []int64{1, 3, 100, n, 1e9} {
			if _, _, err := metered(t, r, c, n, slice, wc.fn, wc.args...); err != nil {
				t.Errorf("%s%v: budget %d, slice %d: %v", wc.wasm, wc.args, n, slice, err)
			}
			if _, _, err := metered(t, r, c, n-1, slice, wc.fn, wc.args...); !errors.Is(err, errFuelExhausted) {
				t.Errorf("%s%v: budget %d, slice %d: got %v, want fuel exhausted", wc.wasm, wc.args, n-1, slice, err)
			}
		}
	}
	k := newKernelRunner(t)
	args := []string{"fib", "15"}
	_, n, err := k.run(t, newMeter(unlimited, 1e6), args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, slice := range []int64{1000, 1e6} {
		if _, _, err := k.run(t, newMeter(n, slice), args...); err != nil {
			t.Errorf("go %v: budget %d: %v", args, n, err)
		}
		if _, _, err := k.run(t, newMeter(n-1, slice), args...); !errors.Is(err, errFuelExhausted) {
			t.Errorf("go %v: budget %d: got %v, want fuel exhausted", args, n-1, err)
		}
	}
}

// TestGoRecursionDepth checks that the default depth limit leaves room for
// deep honest recursion in Go guests and still stops runaway recursion.
func TestGoRecursionDepth(t *testing.T) {
	k := newKernelRunner(t)
	if out, _, err := k.run(t, newMeter(unlimited, 1e6), "recurse", "15000"); err != nil || out != "15000\n" {
		t.Fatalf("recurse 15000: %q %v", out, err)
	}
	if _, _, err := k.run(t, newMeter(unlimited, 1e6), "recurse", "1000000"); !errors.Is(err, errDepthExceeded) {
		t.Fatalf("recurse 1000000: got %v, want depth exceeded", err)
	}
	// The plain module recurses that deep on wazero's own stack.
	if out, _, err := k.run(t, nil, "recurse", "15000"); err != nil || out != "15000\n" {
		t.Fatalf("plain recurse 15000: %q %v", out, err)
	}
}

// TestOvershoot measures how far past its budget a guest gets before the
// host stops it, over many budgets. The bound is twice the static cost of
// the largest function body plus one dynamic charge (see the package
// documentation); for these guests a few thousand fuel.
func TestOvershoot(t *testing.T) {
	k := newKernelRunner(t)
	var worst int64
	for _, kernel := range []string{"sha256", "sort", "json", "map", "fib"} {
		for budget := int64(1_000_003); budget < 3_000_000; budget += 250_007 {
			m := newMeter(budget, 10_000)
			_, _, err := k.run(t, m, kernel, "100000")
			if !errors.Is(err, errFuelExhausted) {
				t.Fatalf("%s with budget %d: got %v", kernel, budget, err)
			}
			worst = max(worst, m.overshoot)
		}
	}
	t.Logf("worst overshoot of the Go kernels: %d fuel", worst)
	r := newRuntime(t)
	for _, wasm := range []string{"infinite_loop", "exp_recursion", "grow_loop", "table_grow"} {
		c, err := r.CompileModule(context.Background(), instrument(t, readWasm(t, "wat/"+wasm+".wasm")))
		if err != nil {
			t.Fatal(err)
		}
		for budget := int64(10_001); budget < 100_000; budget += 9_973 {
			m := newMeter(budget, 1000)
			ctx := withMeter(context.Background(), m)
			mod, err := r.InstantiateModule(ctx, c, wazero.NewModuleConfig().WithName(""))
			if err != nil {
				t.Fatal(err)
			}
			var args []uint64
			if wasm == "exp_recursion" {
				args = []uint64{40}
			}
			_, err = mod.ExportedFunction("run").Call(ctx, args...)
			mod.Close(ctx)
			if !errors.Is(err, errFuelExhausted) {
				t.Fatalf("%s: got %v", wasm, err)
			}
			worst = max(worst, m.overshoot)
		}
	}
	t.Logf("worst overshoot past the budget, WAT guests included: %d fuel", worst)
	if worst > 100_000 {
		t.Errorf("overshoot %d", worst)
	}
}
