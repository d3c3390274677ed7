package host_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

func countInput(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }

// countWant is what count.wasm computes for n.
func countWant(n uint32) uint32 {
	var x uint32
	for i := uint32(0); i < n; i++ {
		x = x*31 + i
	}
	return x
}

func TestFuelDeterministic(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	for _, tc := range []struct {
		path  string
		input []byte
	}{
		{"../examples/wat/echo.wasm", []byte("determinism")},
		{"../examples/go/echo/echo.wasm", bytes.Repeat([]byte("determinism "), 1000)},
		{"testdata/count.wasm", countInput(100_000)},
	} {
		m := compileFile(t, rt, tc.path)
		var first int64
		for i := range 20 {
			res, err := rt.Run(context.Background(), m, host.Request{Input: tc.input})
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			if i == 0 {
				first = res.FuelUsed
				if first <= 0 {
					t.Fatalf("%s: fuel used %d", tc.path, first)
				}
			} else if res.FuelUsed != first {
				t.Fatalf("%s: run %d used %d fuel, run 0 used %d", tc.path, i, res.FuelUsed, first)
			}
		}
		t.Logf("%s: %d fuel, 20 runs identical", tc.path, first)
	}
}

// TestFuelExact: a run that costs N succeeds with a budget of N and fails
// with N-1, whichever slice size is used.
func TestFuelExact(t *testing.T) {
	for _, slice := range []int64{1, 1000, host.DefaultSliceFuel} {
		cfg := host.DefaultConfig()
		cfg.SliceFuel = slice
		rt := newRuntime(t, cfg)
		for _, tc := range []struct {
			path  string
			input []byte
		}{
			{"../examples/wat/echo.wasm", []byte("exact")},
			{"testdata/count.wasm", countInput(5000)},
		} {
			m := compileFile(t, rt, tc.path)
			res, err := rt.Run(context.Background(), m, host.Request{Input: tc.input})
			if err != nil {
				t.Fatal(err)
			}
			n := res.FuelUsed
			if res, err := rt.Run(context.Background(), m, host.Request{Input: tc.input, Limits: host.Limits{Fuel: n}}); err != nil || res.FuelUsed != n {
				t.Fatalf("slice %d %s: budget N=%d: %v (used %d)", slice, tc.path, n, err, res.FuelUsed)
			}
			_, err = rt.Run(context.Background(), m, host.Request{Input: tc.input, Limits: host.Limits{Fuel: n - 1}})
			var fe *host.FuelError
			if !errors.As(err, &fe) || fe.Budget != n-1 || fe.Used < n {
				t.Fatalf("slice %d %s: budget N-1=%d: %v", slice, tc.path, n-1, err)
			}
		}
	}
}

func TestFuelRemaining(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/count.wasm")
	const n, budget = 3_000_000, 50_000_000
	res, err := rt.Run(context.Background(), m, host.Request{Input: countInput(n), Limits: host.Limits{Fuel: budget}})
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint32(res.Output); got != countWant(n) {
		t.Fatalf("x = %d, want %d", got, countWant(n))
	}
	before := int64(binary.LittleEndian.Uint64(res.Output[4:]))
	after := int64(binary.LittleEndian.Uint64(res.Output[12:]))
	if !(budget > before && before > after && after > budget-res.FuelUsed-1 && before-after > n) {
		t.Fatalf("fuel_remaining before %d, after %d, used %d of %d", before, after, res.FuelUsed, budget)
	}
}

func TestHostileGuests(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	isFuel := func(err error) bool {
		var fe *host.FuelError
		return errors.As(err, &fe) && fe.Used > fe.Budget
	}
	tests := []struct {
		file   string
		limits host.Limits
		check  func(error) bool
		want   string
	}{
		{"loop.wasm", host.Limits{Fuel: 50_000_000}, isFuel, "fuel_exhausted"},
		{"loop.wasm", host.Limits{Timeout: 100 * time.Millisecond}, func(err error) bool { return errors.Is(err, host.ErrTimeout) }, "timeout"},
		{"exprec.wasm", host.Limits{Fuel: 50_000_000}, isFuel, "fuel_exhausted"},
		{"recurse.wasm", host.Limits{}, func(err error) bool { return errors.Is(err, host.ErrCallDepth) }, "call depth"},
		{"startloop.wasm", host.Limits{Fuel: 50_000_000}, isFuel, "fuel_exhausted in start function"},
		{"grow.wasm", host.Limits{MemoryBytes: 16 << 20}, func(err error) bool { return errors.Is(err, host.ErrMemoryLimit) }, "memory_limit"},
		{"flood.wasm", host.Limits{OutputBytes: 1 << 20}, func(err error) bool { return errors.Is(err, host.ErrOutputLimit) }, "output_limit"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.want, func(t *testing.T) {
			m := compileFile(t, rt, "testdata/"+tt.file)
			_, err := rt.Run(context.Background(), m, host.Request{Limits: tt.limits})
			if !tt.check(err) {
				t.Fatalf("err = %v (%T), want %s", err, err, tt.want)
			}
		})
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 64<<20 {
		t.Fatalf("heap grew by %d bytes across hostile guests", grown)
	}
}

// blockingYielder blocks the task inside Yield on its third slice boundary
// until release is closed.
type blockingYielder struct {
	calls   atomic.Int64
	blocked chan struct{}
	release chan struct{}
	once    sync.Once
}

func (y *blockingYielder) Yield(ctx context.Context) error {
	if y.calls.Add(1) == 3 {
		y.once.Do(func() { close(y.blocked) })
		select {
		case <-y.release:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// TestYieldSuspendsAndResumes blocks a CPU-bound guest inside the slice hook
// mid-computation, checks it makes no progress while blocked, resumes it and
// checks its output.
func TestYieldSuspendsAndResumes(t *testing.T) {
	cfg := host.DefaultConfig()
	cfg.SliceFuel = 10_000
	rt := newRuntime(t, cfg)
	m := compileFile(t, rt, "testdata/count.wasm")
	const n = 2_000_000
	y := &blockingYielder{blocked: make(chan struct{}), release: make(chan struct{})}
	type result struct {
		res *host.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := rt.Run(context.Background(), m, host.Request{Input: countInput(n), Yielder: y})
		done <- result{res, err}
	}()
	<-y.blocked
	select {
	case r := <-done:
		t.Fatalf("task finished while suspended: %v", r.err)
	case <-time.After(50 * time.Millisecond):
	}
	if c := y.calls.Load(); c != 3 {
		t.Fatalf("guest reached %d slice boundaries while suspended at the 3rd", c)
	}
	close(y.release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := binary.LittleEndian.Uint32(r.res.Output); got != countWant(n) {
		t.Fatalf("x = %d, want %d", got, countWant(n))
	}
	if y.calls.Load() < 100 {
		t.Fatalf("only %d slice boundaries for %d fuel", y.calls.Load(), r.res.FuelUsed)
	}
	// Suspension does not change the fuel a run uses.
	plain, err := rt.Run(context.Background(), m, host.Request{Input: countInput(n)})
	if err != nil || plain.FuelUsed != r.res.FuelUsed {
		t.Fatalf("fuel with suspension %d, without %d (%v)", r.res.FuelUsed, plain.FuelUsed, err)
	}
}

func TestCancelStopsRunningTask(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/loop.wasm")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := rt.Run(ctx, m, host.Request{})
	if !errors.Is(err, host.ErrCanceled) {
		t.Fatalf("err = %v, want ErrCanceled", err)
	}
}
