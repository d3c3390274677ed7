package executor

import (
	"context"
	"encoding/binary"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/clock"
)

// newExec returns an executor closed at the end of the test.
func newExec(t testing.TB, cfg Config) *Executor {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// occupy submits a job that holds a token until release is called.
func occupy(t testing.TB, e *Executor, prio int) (release func()) {
	t.Helper()
	started, stop := make(chan struct{}), make(chan struct{})
	h, err := e.Submit(context.Background(), Job{ID: "occupy", Priority: prio, Run: func(context.Context, Yielder) error {
		close(started)
		<-stop
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	return func() { close(stop); <-h.Done() }
}

// recorder collects values in the order jobs append them.
type recorder[T any] struct {
	mu sync.Mutex
	vs []T
}

func (r *recorder[T]) add(v T) {
	r.mu.Lock()
	r.vs = append(r.vs, v)
	r.mu.Unlock()
}

func (r *recorder[T]) get() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.vs)
}

func waitAll(t testing.TB, hs []*Handle) {
	t.Helper()
	for _, h := range hs {
		<-h.Done()
		if err := h.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// newFakeClock returns a manual clock (internal/clock.Manual).
func newFakeClock() *clock.Manual { return clock.NewManual(time.Unix(1_000_000, 0)) }

// countGuest is count.wasm compiled in a real host.Runtime.
type countGuest struct {
	rt     *host.Runtime
	m      *host.Module
	limits host.Limits
}

func newCountGuest(t testing.TB) *countGuest {
	t.Helper()
	return newCountGuestWith(t, host.DefaultConfig())
}

// newCountGuestWith compiles count.wasm in a runtime configured by cfg.
func newCountGuestWith(t testing.TB, cfg host.Config) *countGuest {
	t.Helper()
	rt, err := host.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	wasm, err := os.ReadFile("../../host/testdata/count.wasm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Compile(context.Background(), wasm, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &countGuest{rt: rt, m: m}
}

// run runs count(n) with y as the Yielder and checks its output.
func (g *countGuest) run(ctx context.Context, n uint32, y host.Yielder) error {
	res, err := g.rt.Run(ctx, g.m, host.Request{Input: binary.LittleEndian.AppendUint32(nil, n), Yielder: y, Limits: g.limits})
	if err != nil {
		return err
	}
	if got, want := binary.LittleEndian.Uint32(res.Output), countWant(n); got != want {
		return &wrongOutput{n: n, got: got, want: want}
	}
	return nil
}

type wrongOutput struct{ n, got, want uint32 }

func (e *wrongOutput) Error() string { return "count: wrong output" }

// countWants memoizes countWant: checking a billion-iteration guest in Go
// takes most of a second, with no Yield in it.
var countWants sync.Map

func countWant(n uint32) uint32 {
	if x, ok := countWants.Load(n); ok {
		return x.(uint32)
	}
	var x uint32
	defer func() { countWants.Store(n, x) }()
	for i := range n {
		x = x*31 + i
	}
	return x
}

// probe wraps a job's Yielder: before its first Yield it calls first (a
// gate for the test), and it records the token's CPU and the thread's
// affinity mask around every Yield, as seen inside the host call.
type probe struct {
	inner Yielder
	first func()
	calls int
	marks []mark
}

type mark struct {
	after bool // recorded after the inner Yield returned
	cpu   int  // the job's token's CPU
	mask  []int
}

func (p *probe) Yield(ctx context.Context) error {
	p.record(false)
	if p.calls++; p.calls == 1 && p.first != nil {
		p.first()
	}
	err := p.inner.Yield(ctx)
	p.record(true)
	return err
}

func (p *probe) record(after bool) {
	t := p.inner.(*task)
	t.e.mu.Lock()
	cpu := -1
	if t.tok != nil {
		cpu = t.tok.cpu
	}
	t.e.mu.Unlock()
	mask, _ := threadCPUs()
	p.marks = append(p.marks, mark{after: after, cpu: cpu, mask: mask})
}
