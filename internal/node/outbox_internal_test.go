package node

import (
	"context"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/executor"
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

// TestExecutorWatch: with a token free the check runs the canary; with
// every token busy it passes while jobs start or finish, and fails once
// none has for stuckAfter.
func TestExecutorWatch(t *testing.T) {
	st := executor.Stats{Tokens: 2, Busy: 1}
	canaries := 0
	w := &executorWatch{stats: func() executor.Stats { return st }, stuckAfter: time.Hour,
		canary: func(context.Context) error { canaries++; return nil }}
	ctx := context.Background()
	if err := w.check(ctx); err != nil || canaries != 1 {
		t.Fatalf("a free token: %v, %d canaries", err, canaries)
	}
	st.Busy = 2
	if err := w.check(ctx); err != nil || canaries != 1 {
		t.Fatalf("busy, not for long: %v, %d canaries", err, canaries)
	}
	w.since = w.since.Add(-2 * time.Hour)
	if err := w.check(ctx); err == nil {
		t.Fatal("busy and stuck for two hours passed")
	}
	st.Completed++
	if err := w.check(ctx); err != nil {
		t.Fatalf("a job finished: %v", err)
	}
}
