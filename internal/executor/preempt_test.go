package executor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

// TestPreemptWasm: a CPU-bound low-priority guest is suspended when a
// high-priority one arrives on a 1-token executor; the high one finishes
// first, both outputs are right, and without preemption the order flips.
func TestPreemptWasm(t *testing.T) {
	g := newCountGuest(t)
	for _, preempt := range []bool{true, false} {
		t.Run(fmt.Sprintf("preemption=%v", preempt), func(t *testing.T) {
			e := newExec(t, Config{Workers: 1, Preemption: preempt})
			var done recorder[string]
			lowStarted, highQueued := make(chan struct{}), make(chan struct{})
			var lowPreempts atomic.Int32
			low, err := e.Submit(context.Background(), Job{ID: "low", Priority: 1,
				OnPreempt: func() { lowPreempts.Add(1) },
				Run: func(ctx context.Context, y Yielder) error {
					p := &probe{inner: y, first: func() { close(lowStarted); <-highQueued }}
					err := g.run(ctx, 5_000_000, p) // ~60 slices
					done.add("low")
					return err
				}})
			if err != nil {
				t.Fatal(err)
			}
			<-lowStarted // low is mid-run, inside its first slice boundary
			high, err := e.Submit(context.Background(), Job{ID: "high", Priority: 9,
				Run: func(ctx context.Context, y Yielder) error {
					err := g.run(ctx, 1_000_000, y)
					done.add("high")
					return err
				}})
			if err != nil {
				t.Fatal(err)
			}
			close(highQueued)
			waitAll(t, []*Handle{low, high})

			want, wantPreempts := []string{"high", "low"}, 1
			if !preempt {
				want, wantPreempts = []string{"low", "high"}, 0
			}
			if got := done.get(); !slices.Equal(got, want) {
				t.Fatalf("completion order %v, want %v", got, want)
			}
			if n := int(lowPreempts.Load()); n != wantPreempts || low.Preemptions() != n || e.Stats().Preemptions != uint64(n) {
				t.Fatalf("preemptions: OnPreempt %d, handle %d, stats %d; want %d",
					n, low.Preemptions(), e.Stats().Preemptions, wantPreempts)
			}
		})
	}
}

// TestPinnedInsideHostCall reads each thread's affinity from inside the
// host's slice-boundary call: it is exactly the CPU of the job's token,
// and after a preemption the job resumes re-pinned to its new token's CPU.
// With PinAtStart that holds from the job's start; by default from its
// first Yield, before which the thread has the process's own mask.
func TestPinnedInsideHostCall(t *testing.T) {
	if !pinning {
		t.Skip("no thread pinning on this OS")
	}
	cpus, err := allowedCPUs()
	if err != nil || len(cpus) < 2 {
		t.Skipf("need two CPUs in the affinity mask, have %v (%v)", cpus, err)
	}
	for _, atStart := range []bool{true, false} {
		t.Run(fmt.Sprintf("PinAtStart=%v", atStart), func(t *testing.T) {
			testPinnedInsideHostCall(t, cpus, atStart)
		})
	}
}

func testPinnedInsideHostCall(t *testing.T, cpus []int, atStart bool) {
	g := newCountGuest(t)
	e := newExec(t, Config{Workers: 2, CPUs: cpus[:2], Preemption: true, PinAtStart: atStart})

	type gated struct {
		probe         *probe
		started, open chan struct{}
		h             *Handle
	}
	submit := func(name string, prio int, n uint32) *gated {
		j := &gated{started: make(chan struct{}), open: make(chan struct{})}
		h, err := e.Submit(context.Background(), Job{ID: name, Priority: prio, Run: func(ctx context.Context, y Yielder) error {
			j.probe = &probe{inner: y, first: func() { close(j.started); <-j.open }}
			return g.run(ctx, n, j.probe)
		}})
		if err != nil {
			t.Fatal(err)
		}
		j.h = h
		return j
	}
	// L and M hold both tokens, each paused inside its first slice boundary.
	l := submit("L", 1, 5_000_000)
	m := submit("M", 1, 2_000_000)
	<-l.started
	<-m.started
	h := submit("H", 9, 2_000_000)
	close(l.open) // L's Yield hands its token A to H
	<-h.started   // H runs on A, paused at its first boundary
	close(m.open) // M finishes; its token B goes to L, which resumes on B
	<-m.h.Done()
	close(h.open)
	waitAll(t, []*Handle{l.h, m.h, h.h})

	cpuA, cpuB := l.probe.marks[0].cpu, m.probe.marks[0].cpu
	if cpuA == cpuB || cpuA < 0 || cpuB < 0 {
		t.Fatalf("L and M started on CPUs %d and %d", cpuA, cpuB)
	}
	check := func(name string, p *probe, want func(i int, mk mark) int) {
		t.Helper()
		for i, mk := range p.marks {
			w := want(i, mk)
			if i == 0 && !atStart {
				// Before the first Yield: not pinned yet.
				if mk.cpu != w || !slices.Equal(mk.mask, cpus) {
					t.Fatalf("%s mark 0: token CPU %d, thread affinity %v; want CPU %d, affinity %v", name, mk.cpu, mk.mask, w, cpus)
				}
				continue
			}
			if mk.cpu != w || !slices.Equal(mk.mask, []int{w}) {
				t.Fatalf("%s mark %d (after=%v): token CPU %d, thread affinity %v; want CPU %d", name, i, mk.after, mk.cpu, mk.mask, w)
			}
		}
		t.Logf("%s: %d marks checked", name, len(p.marks))
	}
	// L: mark 0 is before its first (preempting) Yield, on A; mark 1 is
	// right after it returned, resumed on B; all later ones on B.
	check("L", l.probe, func(i int, _ mark) int { return map[bool]int{true: cpuA, false: cpuB}[i == 0] })
	check("M", m.probe, func(int, mark) int { return cpuB })
	check("H", h.probe, func(int, mark) int { return cpuA })
	if n := l.h.Preemptions(); n != 1 {
		t.Fatalf("L preempted %d times", n)
	}
}

// TestQuantum: with time slicing, a job that has used its quantum gives
// its token to a waiting job of equal priority at its next Yield.
func TestQuantum(t *testing.T) {
	for _, tc := range []struct {
		name    string
		elapsed time.Duration
		want    []string
	}{
		{"quantum used", 10 * time.Millisecond, []string{"B", "A"}},
		{"quantum left", 9 * time.Millisecond, []string{"A", "B"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			e := newExec(t, Config{Workers: 1, Quantum: 10 * time.Millisecond, Clock: clock})
			var done recorder[string]
			started, resume := make(chan struct{}), make(chan struct{})
			a, err := e.Submit(context.Background(), Job{Priority: 5, Category: "x", Run: func(ctx context.Context, y Yielder) error {
				close(started)
				<-resume
				for range 3 {
					if err := y.Yield(ctx); err != nil {
						return err
					}
				}
				done.add("A")
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			<-started
			b, err := e.Submit(context.Background(), Job{Priority: 5, Category: "x", Run: func(context.Context, Yielder) error {
				done.add("B")
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(tc.elapsed)
			close(resume)
			waitAll(t, []*Handle{a, b})
			if got := done.get(); !slices.Equal(got, tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCancelSuspended: a preempted job whose ctx is canceled leaves the
// queue and returns without ever getting a token back.
func TestCancelSuspended(t *testing.T) {
	e := newExec(t, Config{Workers: 1, Preemption: true})
	started := make(chan struct{})
	low, err := e.Submit(context.Background(), Job{Priority: 0, Run: func(ctx context.Context, y Yielder) error {
		close(started)
		for {
			if err := y.Yield(ctx); err != nil {
				return err
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	hiRunning, hiRelease := make(chan struct{}), make(chan struct{})
	high, err := e.Submit(context.Background(), Job{Priority: 9, Run: func(context.Context, Yielder) error {
		close(hiRunning)
		<-hiRelease
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-hiRunning
	if s := e.Stats(); s.Suspended != 1 || s.Running != 1 {
		t.Fatalf("stats %+v", s)
	}
	low.Cancel()
	<-low.Done()
	if err := low.Err(); err != context.Canceled {
		t.Fatalf("low: %v", err)
	}
	if s := e.Stats(); s.Suspended != 0 || s.QueuedTotal() != 0 || s.Running != 1 {
		t.Fatalf("stats after cancel %+v", s)
	}
	close(hiRelease)
	waitAll(t, []*Handle{high})
}

// TestPinAtFirstYield: by default a job runs with the process's mask
// until its first Yield pins it to its token's CPU, and its thread gets
// the process's mask back when the job ends.
func TestPinAtFirstYield(t *testing.T) {
	if !pinning {
		t.Skip("no thread pinning on this OS")
	}
	cpus, err := allowedCPUs()
	if err != nil || len(cpus) < 2 {
		t.Skipf("need two CPUs in the affinity mask, have %v (%v)", cpus, err)
	}
	e := newExec(t, Config{Workers: 1, CPUs: cpus[1:2]})
	var before, after []int
	if err := e.Do(context.Background(), Job{Run: func(ctx context.Context, y Yielder) error {
		before, _ = threadCPUs()
		if err := y.Yield(ctx); err != nil {
			return err
		}
		after, _ = threadCPUs()
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, cpus) || !slices.Equal(after, cpus[1:2]) {
		t.Fatalf("affinity before the first Yield %v, after %v; want %v and %v", before, after, cpus, cpus[1:2])
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if mask, _ := threadCPUs(); !slices.Equal(mask, cpus) {
		t.Fatalf("caller's thread has affinity %v after the job, want %v", mask, cpus)
	}
}

// TestTimeoutWhileSuspended: a guest whose deadline passes while it is
// suspended for a higher-priority job stops then with host.ErrTimeout,
// not when it gets a token back.
func TestTimeoutWhileSuspended(t *testing.T) {
	g := newCountGuest(t)
	g.limits = host.Limits{Timeout: 200 * time.Millisecond}
	e := newExec(t, Config{Workers: 1, Preemption: true})
	started := make(chan struct{})
	low, err := e.Submit(context.Background(), Job{Priority: 0, Run: func(ctx context.Context, y Yielder) error {
		return g.run(ctx, 4_000_000_000, &probe{inner: y, first: func() { close(started) }})
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	release := occupy(t, e, 9) // suspends low, and holds the token until released
	defer release()
	select {
	case <-low.Done():
		if !errors.Is(low.Err(), host.ErrTimeout) {
			t.Fatalf("low: %v", low.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the suspended guest's deadline passed without stopping it")
	}
}
