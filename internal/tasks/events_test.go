package tasks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/tasks"
)

// taskEvents returns the types of id's events in the log, in id order.
func taskEvents(t *testing.T, e *env, id string) []string {
	t.Helper()
	evs, err := e.db.ReadEvents(0, &events.Filter{Task: id}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, ev := range evs {
		if i > 0 && ev.ID <= evs[i-1].ID {
			t.Fatalf("ids out of order: %s after %s", ev.ID, evs[i-1].ID)
		}
		types = append(types, ev.Type)
	}
	return types
}

// TestTaskEvents: each task's life is in the log, committed with its
// changes: retries, a dead end, a checkpoint, a delay, a cancel; none is
// lost where the group commit merges a task's writes.
func TestTaskEvents(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{Events: true, Node: "n1"})
	cases := []struct {
		name string
		spec tasks.Spec
		want string
	}{
		{"succeeded", tasks.Spec{Input: []byte("n")}, "submitted queued started succeeded"},
		{"dead after retries", tasks.Spec{Input: []byte("t"), MaxRetries: ptr(1)},
			"submitted queued started retrying queued started dead"},
		{"failed", tasks.Spec{Input: []byte("l"), Fuel: 100_000, MaxRetries: ptr(3)}, "submitted queued started failed"},
		{"checkpointed", tasks.Spec{Input: []byte("r"), MaxRetries: ptr(1)},
			"submitted queued started checkpointed progress retrying queued started progress succeeded"},
		{"delayed", tasks.Spec{Input: []byte("n"), DelayMs: 20}, "submitted scheduled queued started succeeded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Module = "tt"
			r := e.wait(e.submit(c.spec).ID)
			got := strings.Join(taskEvents(t, e, r.ID), " ")
			if want := "task." + strings.ReplaceAll(c.want, " ", " task."); got != want {
				t.Fatalf("events %q, want %q", got, want)
			}
		})
	}
	sched := e.submit(tasks.Spec{Module: "tt", Input: []byte("n"), DelayMs: 60_000})
	if _, err := e.svc.Cancel(context.Background(), sched.ID); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(taskEvents(t, e, sched.ID), " "); got != "task.submitted task.scheduled task.canceled" {
		t.Fatalf("canceled: %q", got)
	}
	evs, _ := e.db.ReadEvents(0, &events.Filter{Task: sched.ID, Types: []string{"task.canceled"}}, 10)
	if len(evs) != 1 || evs[0].Node != "n1" || evs[0].Module != "tt" || evs[0].State != "canceled" || evs[0].Data.ErrorCode != "canceled" {
		t.Fatalf("canceled event %+v", evs)
	}
}

// TestTaskEventsMany: many tasks at once, their writes merged by the
// group commit: every task has its four events, once, in order, and the
// bus hands a subscriber with a small buffer the same sequence the log
// holds.
func TestTaskEventsMany(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{Events: true})
	bus := events.NewBus(e.db)
	e.db.SetEventSink(bus.Publish)
	sub := bus.Subscribe(events.Filter{Types: []string{"task.*"}}, 0, 2)
	defer sub.Close()
	const n = 200
	var ids []string
	for i := range n {
		ids = append(ids, e.submit(tasks.Spec{Module: "tt", Input: []byte(fmt.Sprintf("cm%d", i%7))}).ID)
	}
	for _, id := range ids {
		e.wait(id)
	}
	for _, id := range ids {
		if got := strings.Join(taskEvents(t, e, id), " "); got != "task.submitted task.queued task.started task.succeeded" {
			t.Fatalf("task %s: %q", id, got)
		}
	}
	all, err := e.db.ReadEvents(0, &events.Filter{Types: []string{"task.*"}}, 10*n)
	if err != nil || len(all) != 4*n {
		t.Fatalf("%d task events, %v", len(all), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, want := range all {
		got, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got.ID != want.ID {
			t.Fatalf("event %d: %s, want %s", i, got.ID, want.ID)
		}
	}
}
