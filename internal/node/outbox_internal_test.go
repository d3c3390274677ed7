package node

import (
	"context"
	"testing"
	"time"
)

// TestOutboxWatch: the events check passes while the outbox is empty or
// its cursor moves, and fails once deliveries have been pending with the
// cursor still for stuckAfter; it passes again when the cursor moves.
func TestOutboxWatch(t *testing.T) {
	var pending, cursor uint64
	w := &outboxWatch{pending: func() uint64 { return pending }, cursor: func() uint64 { return cursor }, stuckAfter: time.Hour}
	ctx := context.Background()
	if err := w.check(ctx); err != nil {
		t.Fatal(err)
	}
	pending, cursor = 3, 10
	if err := w.check(ctx); err != nil { // the cursor moved
		t.Fatal(err)
	}
	if err := w.check(ctx); err != nil { // still, but not for an hour
		t.Fatal(err)
	}
	w.since = w.since.Add(-2 * time.Hour) // two hours without a delivery
	if err := w.check(ctx); err == nil {
		t.Fatal("a stuck outbox passed")
	}
	cursor = 11
	if err := w.check(ctx); err != nil {
		t.Fatalf("the cursor moved: %v", err)
	}
	pending = 0
	w.since = w.since.Add(-2 * time.Hour)
	if err := w.check(ctx); err != nil {
		t.Fatalf("an empty outbox: %v", err)
	}
}
