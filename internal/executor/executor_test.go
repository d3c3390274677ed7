package executor

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

func TestInvalidJob(t *testing.T) {
	e := newExec(t, Config{Workers: 1})
	for _, j := range []Job{
		{Priority: 10, Run: nop},
		{Priority: -1, Run: nop},
		{NUMANode: -2, Run: nop},
		{},
	} {
		if err := e.Do(context.Background(), j); !errors.Is(err, ErrInvalidJob) {
			t.Errorf("%+v: %v", j, err)
		}
	}
	if _, err := New(Config{Weights: map[string]int{"a": 0}}); err == nil {
		t.Error("zero weight accepted")
	}
	if _, err := New(Config{Rates: map[string]Rate{"a": {PerSecond: 1}}}); err == nil {
		t.Error("zero burst accepted")
	}
	if _, err := New(Config{CPUs: []int{maxCPU - 1}}); pinning && err == nil {
		t.Error("CPU outside the affinity mask accepted")
	}
}

func TestPanicKeepsToken(t *testing.T) {
	e := newExec(t, Config{Workers: 1})
	err := e.Do(context.Background(), Job{ID: "boom", Run: func(context.Context, Yielder) error { panic("boom") }})
	if err == nil || err.Error() != `executor: job "boom" panicked: boom` {
		t.Fatalf("panic: %v", err)
	}
	if err := e.Do(context.Background(), Job{Run: nop}); err != nil {
		t.Fatal(err)
	}
}

func TestQueueFull(t *testing.T) {
	e := newExec(t, Config{Workers: 1, QueueCapacity: 3})
	release := occupy(t, e, 5)
	var ran atomic.Int32
	var hs []*Handle
	for range 3 {
		h, err := e.Submit(context.Background(), Job{Run: func(context.Context, Yielder) error { ran.Add(1); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	_, err := e.Submit(context.Background(), Job{Run: nop})
	var qf *QueueFullError
	if !errors.As(err, &qf) || !errors.Is(err, ErrQueueFull) || qf.RetryAfter <= 0 || qf.Capacity != 3 {
		t.Fatalf("4th job: %v", err)
	}
	release()
	waitAll(t, hs)
	if ran.Load() != 3 || e.Stats().QueueFull != 1 {
		t.Fatalf("ran %d, stats %+v", ran.Load(), e.Stats())
	}
}

func TestCancelQueued(t *testing.T) {
	e := newExec(t, Config{Workers: 1})
	release := occupy(t, e, 5)
	var ran atomic.Bool
	job := Job{Run: func(context.Context, Yielder) error { ran.Store(true); return nil }}

	// Do with a canceled ctx returns its error and leaves the queue.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- e.Do(ctx, job) }()
	for e.Stats().QueuedTotal() != 1 {
		runtime.Gosched()
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Do: %v", err)
	}
	// Handle.Cancel does the same.
	h, err := e.Submit(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	h.Cancel()
	<-h.Done()
	if !errors.Is(h.Err(), context.Canceled) {
		t.Fatalf("Handle: %v", h.Err())
	}
	// A deadline too.
	dctx, dcancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer dcancel()
	if err := e.Do(dctx, job); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	if s := e.Stats(); s.QueuedTotal() != 0 {
		t.Fatalf("queued %d after cancels", s.QueuedTotal())
	}
	release()
	if ran.Load() {
		t.Fatal("a canceled job ran")
	}
}

// TestCancelRunningWasm: canceling a running guest stops it at its next
// slice boundary with host.ErrCanceled.
func TestCancelRunningWasm(t *testing.T) {
	g := newCountGuest(t)
	e := newExec(t, Config{Workers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	err := e.Do(ctx, Job{Run: func(ctx context.Context, y Yielder) error {
		return g.run(ctx, 4_000_000_000, &probe{inner: y, first: cancel}) // minutes of work
	}})
	if !errors.Is(err, host.ErrCanceled) {
		t.Fatalf("canceled guest: %v", err)
	}
}

func TestCloseDrains(t *testing.T) {
	e, err := New(Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	release := occupy(t, e, 5)
	var ran atomic.Int32
	var hs []*Handle
	for range 5 {
		h, err := e.Submit(context.Background(), Job{Run: func(context.Context, Yielder) error { ran.Add(1); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	closed := make(chan error)
	go func() { closed <- e.Close(context.Background()) }()
	for { // Close refuses new jobs at once; ones accepted before that run too
		h, err := e.Submit(context.Background(), Job{Run: func(context.Context, Yielder) error { ran.Add(1); return nil }})
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
		runtime.Gosched()
	}
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	waitAll(t, hs)
	if int(ran.Load()) != len(hs) {
		t.Fatalf("%d of %d ran", ran.Load(), len(hs))
	}
}

func TestCloseCancelsAtDeadline(t *testing.T) {
	g := newCountGuest(t)
	e, err := New(Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	running, err := e.Submit(context.Background(), Job{Run: func(ctx context.Context, y Yielder) error {
		return g.run(ctx, 4_000_000_000, &probe{inner: y, first: func() { close(started) }})
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	queued, err := e.Submit(context.Background(), Job{Run: nop})
	if err != nil {
		t.Fatal(err)
	}
	// A Do waiting in the queue is canceled too.
	doErr := make(chan error, 1)
	go func() { doErr <- e.Do(context.Background(), Job{Run: nop}) }()
	for e.Stats().QueuedTotal() != 2 {
		runtime.Gosched()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v", err)
	}
	<-running.Done()
	<-queued.Done()
	if !errors.Is(running.Err(), host.ErrCanceled) || !errors.Is(queued.Err(), ErrClosed) {
		t.Fatalf("running: %v; queued: %v", running.Err(), queued.Err())
	}
	if err := <-doErr; !errors.Is(err, ErrClosed) {
		t.Fatalf("queued Do: %v", err)
	}
	if err := e.Do(context.Background(), Job{Run: nop}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// settleGoroutines waits for the goroutine count to fall to n.
func settleGoroutines(t *testing.T, n int) {
	t.Helper()
	for i := 0; runtime.NumGoroutine() > n; i++ {
		if i == 500 {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want ≤ %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	settleGoroutines(t, runtime.NumGoroutine())
	before := runtime.NumGoroutine()
	hammer(t, Config{Workers: 2, Preemption: true, Quantum: 100 * time.Microsecond, QueueCapacity: 50,
		Rates: map[string]Rate{"c1": {PerSecond: 2000, Burst: 5}}}, 4, 100)
	settleGoroutines(t, before)
}

func TestHammer(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 100
	}
	hammer(t, Config{Preemption: true, Quantum: 200 * time.Microsecond, AgingInterval: time.Millisecond,
		QueueCapacity: 64, SyncRateWait: time.Millisecond,
		Weights: map[string]int{"c0": 3, "c2": 2},
		Rates:   map[string]Rate{"c1": {PerSecond: 1000, Burst: 5}}}, 8, n)
}

// hammer runs many goroutines submitting, canceling and yielding against
// one executor, then closes it and checks every job was accounted for.
func hammer(t *testing.T, cfg Config, goroutines, perGoroutine int) {
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var accepted, ranOK, refused, canceled atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			var inFlight []*Handle
			for i := range perGoroutine {
				var runs atomic.Int32
				j := Job{
					Priority: rng.IntN(levels),
					Category: []string{"c0", "c1", "c2", ""}[rng.IntN(4)],
					Sync:     rng.IntN(2) == 0,
					NUMANode: rng.IntN(2) - 1,
				}
				yields := rng.IntN(20)
				j.Run = func(ctx context.Context, y Yielder) error {
					if runs.Add(1) != 1 {
						t.Error("job ran twice")
					}
					for range yields {
						if err := y.Yield(ctx); err != nil {
							return err
						}
						runtime.Gosched()
					}
					return nil
				}
				ctx, cancel := context.WithCancel(context.Background())
				switch i % 3 {
				case 0: // Do, sometimes canceled
					if rng.IntN(4) == 0 {
						time.AfterFunc(time.Duration(rng.IntN(200))*time.Microsecond, cancel)
					}
					err := e.Do(ctx, j)
					countOutcome(t, err, &accepted, &ranOK, &refused, &canceled)
				default: // Submit, sometimes canceled through the handle
					h, err := e.Submit(ctx, j)
					if err != nil {
						countOutcome(t, err, &accepted, &ranOK, &refused, &canceled)
						break
					}
					if rng.IntN(3) == 0 {
						h.Cancel()
					}
					inFlight = append(inFlight, h)
				}
				if len(inFlight) >= 16 || i == perGoroutine-1 { // keep a few in flight
					for _, h := range inFlight {
						<-h.Done()
						countOutcome(t, h.Err(), &accepted, &ranOK, &refused, &canceled)
					}
					inFlight = inFlight[:0]
				}
				defer cancel()
			}
		})
	}
	wg.Wait()
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := e.Stats()
	if s.Busy != 0 || s.Running != 0 || s.Suspended != 0 || s.QueuedTotal() != 0 || s.RateWaiting != 0 {
		t.Fatalf("after Close: %+v", s)
	}
	// A job whose ctx was canceled before Submit took it is refused with
	// the ctx's error, so a canceled outcome may or may not have been
	// accepted.
	total := int64(goroutines * perGoroutine)
	if c := int64(s.Completed); c < accepted.Load()-canceled.Load() || c > accepted.Load() ||
		accepted.Load()+refused.Load() != total {
		t.Fatalf("accepted %d (canceled %d), refused %d, completed %d of %d",
			accepted.Load(), canceled.Load(), refused.Load(), s.Completed, total)
	}
	t.Logf("accepted %d (ok %d, canceled %d), refused %d, preemptions %d",
		accepted.Load(), ranOK.Load(), canceled.Load(), refused.Load(), s.Preemptions)
}

func countOutcome(t *testing.T, err error, accepted, ok, refused, canceled *atomic.Int64) {
	switch {
	case errors.Is(err, ErrQueueFull) || errors.Is(err, ErrRateLimited):
		refused.Add(1)
	case err == nil:
		accepted.Add(1)
		ok.Add(1)
	case errors.Is(err, context.Canceled):
		accepted.Add(1)
		canceled.Add(1)
	default:
		t.Errorf("unexpected outcome: %v", err)
	}
}
