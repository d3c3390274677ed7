package executor

import (
	"context"
	"errors"
	"testing"
	"time"
)

func nop(context.Context, Yielder) error { return nil }

func TestRateLimitSyncRejects(t *testing.T) {
	clock := newFakeClock()
	e := newExec(t, Config{Workers: 1, Clock: clock, Rates: map[string]Rate{"api": {PerSecond: 10, Burst: 2}}})
	job := Job{Category: "api", Sync: true, Run: nop}
	for i := range 2 { // the burst
		if err := e.Do(context.Background(), job); err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	err := e.Do(context.Background(), job)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) || rl.RetryAfter != 100*time.Millisecond || rl.Category != "api" {
		t.Fatalf("over the rate: %v", err)
	}
	// Other categories are not limited.
	if err := e.Do(context.Background(), Job{Category: "other", Sync: true, Run: nop}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(99 * time.Millisecond)
	if err := e.Do(context.Background(), job); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("1ms early: %v", err)
	}
	clock.Advance(time.Millisecond)
	if err := e.Do(context.Background(), job); err != nil {
		t.Fatalf("on time: %v", err)
	}
	if s := e.Stats(); s.RateLimited != 2 {
		t.Fatalf("rate limited %d, want 2", s.RateLimited)
	}
}

func TestRateLimitSyncWaitsWithinBound(t *testing.T) {
	clock := newFakeClock()
	e := newExec(t, Config{Workers: 1, Clock: clock, SyncRateWait: 150 * time.Millisecond,
		Rates: map[string]Rate{"api": {PerSecond: 10, Burst: 1}}})
	job := Job{Category: "api", Sync: true, Run: nop}
	if err := e.Do(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	h, err := e.Submit(context.Background(), job) // due in 100ms ≤ 150ms: waits
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Submit(context.Background(), job); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("due in 200ms > 150ms: %v", err) // (and the refusal gives its token back)
	}
	if s := e.Stats(); s.RateWaiting != 1 {
		t.Fatalf("rate waiting %d", s.RateWaiting)
	}
	clock.Advance(99 * time.Millisecond)
	select {
	case <-h.Done():
		t.Fatal("ran before its rate token was due")
	default:
	}
	clock.Advance(time.Millisecond)
	waitAll(t, []*Handle{h})
}

func TestRateLimitAsyncWaits(t *testing.T) {
	clock := newFakeClock()
	e := newExec(t, Config{Workers: 1, Clock: clock, Rates: map[string]Rate{"bulk": {PerSecond: 10, Burst: 2}}})
	var ran recorder[int]
	var hs []*Handle
	for i := range 6 {
		h, err := e.Submit(context.Background(), Job{Category: "bulk", Run: func(context.Context, Yielder) error {
			ran.add(i)
			return nil
		}})
		if err != nil {
			t.Fatalf("job %d: %v", i, err) // never refused
		}
		hs = append(hs, h)
	}
	waitAll(t, hs[:2])
	for step, want := range []int{3, 4, 5, 6} {
		if s := e.Stats(); s.RateWaiting != 6-want+1 {
			t.Fatalf("step %d: %d waiting", step, s.RateWaiting)
		}
		clock.Advance(100 * time.Millisecond)
		waitAll(t, hs[want-1:want])
		if n := len(ran.get()); n != want {
			t.Fatalf("after %d×100ms: %d ran, want %d", step+1, n, want)
		}
	}
}

func TestRateWaitCanceled(t *testing.T) {
	clock := newFakeClock()
	e := newExec(t, Config{Workers: 1, Clock: clock, Rates: map[string]Rate{"bulk": {PerSecond: 1, Burst: 1}}})
	job := Job{Category: "bulk", Run: nop}
	if err := e.Do(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h, err := e.Submit(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-h.Done()
	if !errors.Is(h.Err(), context.Canceled) {
		t.Fatalf("canceled while rate-waiting: %v", h.Err())
	}
	// Its reservation was given back: the next token is due in 1s, not 2s.
	clock.Advance(time.Second)
	if err := e.Do(context.Background(), Job{Category: "bulk", Sync: true, Run: nop}); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.RateWaiting != 0 || s.QueuedTotal() != 0 {
		t.Fatalf("stats %+v", s)
	}
}
