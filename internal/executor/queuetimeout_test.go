package executor

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestQueueTimeout: a job that waits longer than its QueueTimeout for a
// token leaves the queue and fails with *QueueTimeoutError without
// running; one that starts in time is not affected by it afterwards.
func TestQueueTimeout(t *testing.T) {
	clock := newFakeClock()
	e := newExec(t, Config{Workers: 1, Clock: clock})
	release := occupy(t, e, 5)
	ran := false
	h, err := e.Submit(context.Background(), Job{ID: "late", QueueTimeout: 100 * time.Millisecond,
		Run: func(context.Context, Yielder) error { ran = true; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(99 * time.Millisecond)
	select {
	case <-h.Done():
		t.Fatalf("done before its queue timeout: %v", h.Err())
	default:
	}
	clock.Advance(time.Millisecond)
	<-h.Done()
	var qt *QueueTimeoutError
	if err := h.Err(); !errors.As(err, &qt) || !errors.Is(err, ErrQueueTimeout) || qt.Timeout != 100*time.Millisecond {
		t.Fatalf("err %v", err)
	}
	if s := e.Stats(); s.QueuedTotal() != 0 || s.Completed != 1 || ran {
		t.Fatalf("stats %+v, ran %v", s, ran)
	}

	// Started in time: the timeout no longer applies.
	started, finish := make(chan struct{}), make(chan struct{})
	ok, err := e.Submit(context.Background(), Job{ID: "in time", QueueTimeout: 100 * time.Millisecond,
		Run: func(context.Context, Yielder) error { close(started); <-finish; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	release()
	<-started
	clock.Advance(time.Second)
	close(finish)
	waitAll(t, []*Handle{ok})
}

// TestQueueTimeoutDo: Do returns the queue timeout of a job that never
// got a token.
func TestQueueTimeoutDo(t *testing.T) {
	clock := newFakeClock()
	e := newExec(t, Config{Workers: 1, Clock: clock})
	release := occupy(t, e, 5)
	defer release()
	errc := make(chan error, 1)
	go func() {
		errc <- e.Do(context.Background(), Job{QueueTimeout: time.Second, Run: func(context.Context, Yielder) error { return nil }})
	}()
	for e.Stats().QueuedTotal() == 0 { // queued: the timeout's clock runs
		runtime.Gosched()
	}
	clock.Advance(time.Second)
	if err := <-errc; !errors.Is(err, ErrQueueTimeout) {
		t.Fatalf("Do: %v", err)
	}
}
