package executor

import (
	"context"
	"errors"
	"testing"
)

// blocker is a submitted job that holds its token until released.
type blocker struct {
	h       *Handle
	started chan struct{}
	stop    chan struct{}
}

func submitBlocker(t *testing.T, e *Executor, j Job) *blocker {
	t.Helper()
	b := &blocker{started: make(chan struct{}), stop: make(chan struct{})}
	j.Run = func(context.Context, Yielder) error {
		close(b.started)
		<-b.stop
		return nil
	}
	h, err := e.Submit(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	b.h = h
	return b
}

func (b *blocker) release() { close(b.stop); <-b.h.Done() }

func (b *blocker) isStarted() bool {
	select {
	case <-b.started:
		return true
	default:
		return false
	}
}

// TestMemoryBudget: jobs start only while their memory quotas fit the
// budget together; the next job in order that does not fit holds back
// the jobs behind it (same or lower priority) even with tokens free, so
// it is not starved by smaller ones; a higher priority still goes first;
// a quota above the whole budget is refused at submission.
func TestMemoryBudget(t *testing.T) {
	e := newExec(t, Config{Workers: 4, MemoryBudget: 100, DefaultMemoryBytes: 10, Clock: newFakeClock()})
	_, err := e.Submit(context.Background(), Job{ID: "huge", MemoryBytes: 101, Run: func(context.Context, Yielder) error { return nil }})
	if !errors.Is(err, ErrInvalidJob) {
		t.Fatalf("quota above the budget: %v", err)
	}
	if err := e.CheckMemory(101); !errors.Is(err, ErrInvalidJob) {
		t.Fatalf("CheckMemory(101): %v", err)
	}
	if err := e.CheckMemory(0); err != nil {
		t.Fatalf("CheckMemory(0): %v", err)
	}

	a := submitBlocker(t, e, Job{ID: "a", Priority: 5, MemoryBytes: 60})
	<-a.started
	big := submitBlocker(t, e, Job{ID: "big", Priority: 5, MemoryBytes: 60})
	small := submitBlocker(t, e, Job{ID: "small", Priority: 5, Category: "other", MemoryBytes: 10})
	low := submitBlocker(t, e, Job{ID: "low", Priority: 1}) // the default quota, 10
	s := e.Stats()
	if s.Running != 1 || s.Queued[5] != 2 || s.Queued[1] != 1 || s.MemoryInUse != 60 || big.isStarted() || small.isStarted() {
		t.Fatalf("with a job waiting for memory, others overtook it: %+v", s)
	}
	// A higher priority is ahead of the waiting job: it starts if it fits.
	high := submitBlocker(t, e, Job{ID: "high", Priority: 9, MemoryBytes: 30})
	<-high.started
	if s := e.Stats(); s.Running != 2 || s.MemoryInUse != 90 {
		t.Fatalf("higher priority did not start: %+v", s)
	}
	high.release()
	if s := e.Stats(); s.Running != 1 || s.MemoryInUse != 60 {
		t.Fatalf("after high: %+v", s)
	}
	a.release() // big fits now, then small and low behind it
	<-big.started
	<-small.started
	<-low.started
	if s := e.Stats(); s.Running != 3 || s.MemoryInUse != 80 || s.QueuedTotal() != 0 {
		t.Fatalf("after a: %+v", s)
	}
	for _, b := range []*blocker{big, small, low} {
		b.release()
	}
	if s := e.Stats(); s.MemoryInUse != 0 || s.Running != 0 {
		t.Fatalf("at the end: %+v", s)
	}
}

// TestMemoryBudgetCancelHead: when the job holding others back for
// memory is canceled, the jobs behind it start.
func TestMemoryBudgetCancelHead(t *testing.T) {
	e := newExec(t, Config{Workers: 2, MemoryBudget: 100, Clock: newFakeClock()})
	a := submitBlocker(t, e, Job{ID: "a", MemoryBytes: 60})
	<-a.started
	big := submitBlocker(t, e, Job{ID: "big", MemoryBytes: 60})
	small := submitBlocker(t, e, Job{ID: "small", MemoryBytes: 10})
	if small.isStarted() {
		t.Fatal("small overtook big")
	}
	big.h.Cancel()
	<-big.h.Done()
	<-small.started
	small.release()
	a.release()
}

// TestMemoryBudgetNoPreemption: preempting a running job for one whose
// quota does not fit would not let it start (the suspended job keeps its
// memory), so the running job keeps its token.
func TestMemoryBudgetNoPreemption(t *testing.T) {
	e := newExec(t, Config{Workers: 1, Preemption: true, MemoryBudget: 100, Clock: newFakeClock()})
	started, queued := make(chan struct{}), make(chan struct{})
	var order recorder[string]
	low, err := e.Submit(context.Background(), Job{ID: "low", Priority: 1, MemoryBytes: 60, Run: func(ctx context.Context, y Yielder) error {
		close(started)
		<-queued
		for range 3 {
			if err := y.Yield(ctx); err != nil {
				return err
			}
		}
		order.add("low")
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	high, err := e.Submit(context.Background(), Job{ID: "high", Priority: 9, MemoryBytes: 60, Run: func(context.Context, Yielder) error {
		order.add("high")
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	close(queued)
	waitAll(t, []*Handle{low, high})
	if got := order.get(); len(got) != 2 || got[0] != "low" || low.Preemptions() != 0 {
		t.Fatalf("order %v, low preempted %d times", got, low.Preemptions())
	}
}
