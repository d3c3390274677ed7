package tasks_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

// second starts another Service over e's store, as a second process
// sharing it would: the store, not either Service's memory, decides.
func (e *env) second(t *testing.T) *tasks.Service {
	t.Helper()
	runner := &tasks.Runner{Registry: e.reg, Runtime: e.rt, Exec: e.exec}
	svc, err := tasks.New(e.db, e.db, runner, tasks.Config{Logger: slog.New(slog.DiscardHandler),
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

// TestSharedStoreIdempotency: two services submitting the same keys at
// once create one task per key, and both answer with it.
func TestSharedStoreIdempotency(t *testing.T) {
	e := open(t, t.TempDir(), tasks.Config{})
	b := e.second(t)
	const keys = 20
	var mu sync.Mutex
	got := map[string]map[string]bool{} // key → task ids answered
	created := map[string]int{}
	var wg sync.WaitGroup
	for _, svc := range []*tasks.Service{e.svc, b, e.svc, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keys {
				key := fmt.Sprintf("k%d", i)
				r, c, err := svc.Submit(context.Background(), tasks.Spec{Module: "tt", Input: []byte("c" + key), IdempotencyKey: key})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if got[key] == nil {
					got[key] = map[string]bool{}
				}
				got[key][r.ID] = true
				if c {
					created[key]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := range keys {
		key := fmt.Sprintf("k%d", i)
		if len(got[key]) != 1 || created[key] != 1 {
			t.Fatalf("key %s: answered with tasks %v, created %d times; want one task, created once", key, got[key], created[key])
		}
	}
}

// TestSharedStoreClaims: two services that both hold the same waiting
// tasks (the second recovered them from the store) both try to run them;
// the store takes one claim and one outcome per attempt, so every task
// succeeds once and its kv effect is applied once.
func TestSharedStoreClaims(t *testing.T) {
	e := open(t, t.TempDir(), tasks.Config{})
	const n = 30
	var ids []string
	for i := range n {
		ids = append(ids, e.submit(tasks.Spec{Module: "tt", Input: []byte(fmt.Sprintf("cn%d", i)), DelayMs: 300}).ID)
	}
	b := e.second(t) // recovers the scheduled tasks: both services hold them
	for _, id := range ids {
		// Each service's Wait returns once its own attempt is over (run
		// and committed, or dropped for a lost claim); after both, the
		// winner's outcome is on disk.
		for _, svc := range []*tasks.Service{e.svc, b} {
			if _, err := svc.Wait(context.Background(), id); err != nil {
				t.Fatalf("task %s: %v", id, err)
			}
		}
		r, found, err := e.db.Task(id)
		if err != nil || !found {
			t.Fatalf("task %s: found %v, %v", id, found, err)
		}
		if r.State != tasks.Succeeded || r.Attempts != 1 {
			t.Fatalf("task %s: %s after %d attempts", id, r.State, r.Attempts)
		}
	}
	for i := range n {
		if c := e.kvCount(fmt.Sprintf("n%d", i)); c != 1 {
			t.Fatalf("counter n%d = %d, want 1", i, c)
		}
	}
}
