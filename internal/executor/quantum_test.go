package executor

import (
	"context"
	"testing"
)

// TestDefaultQuantum: with DefaultConfig, a short job behind long ones of
// its own priority runs once a running job has used its quantum, while
// the long ones are still running: equal priorities are time-sliced by
// default.
func TestDefaultQuantum(t *testing.T) {
	clock := newFakeClock()
	cfg := DefaultConfig()
	cfg.Workers, cfg.Clock = 2, clock
	e := newExec(t, cfg)
	stop := make(chan struct{})
	var longs []*Handle
	for range 2 {
		started := make(chan struct{})
		h, err := e.Submit(context.Background(), Job{ID: "long", Priority: 0, Run: func(ctx context.Context, y Yielder) error {
			close(started)
			for {
				select {
				case <-stop:
					return nil
				default:
				}
				if err := y.Yield(ctx); err != nil {
					return err
				}
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		<-started
		longs = append(longs, h)
	}
	short, err := e.Submit(context.Background(), Job{ID: "short", Priority: 0, Run: func(context.Context, Yielder) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(DefaultQuantum)
	<-short.Done()
	if err := short.Err(); err != nil {
		t.Fatal(err)
	}
	for _, h := range longs {
		select {
		case <-h.Done():
			t.Fatal("a long job finished before the short one")
		default:
		}
	}
	if s := e.Stats(); s.Preemptions == 0 {
		t.Fatalf("no token was handed over: %+v", s)
	}
	close(stop)
	waitAll(t, longs)
}
