package jetstream_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store/jetstream"
	"github.com/nexustask/nexus/internal/tasks"
)

// twoNodes opens two stores of one name on srv, each with its own
// connection, as two nodes of a cluster share one store.
func twoNodes(t *testing.T) (a, b *jetstream.Store) {
	t.Helper()
	a = open(t)
	b, err := jetstream.Open(srv.URL(), jetstream.Options{Name: fmt.Sprintf("T%d", stores.Load())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

func queued(n int) tasks.Record {
	return tasks.Record{ID: fmt.Sprintf("task%04d", n), Module: "mod", Version: 1, State: tasks.Queued,
		Category: "default", SubmittedAt: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
}

// TestClaimsAcrossNodes races claims of the same tasks from two nodes:
// both read the queued record and pass the checks, so only JetStream's
// expected-sequence check of the batch can refuse the second claim.
func TestClaimsAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	const n, claimers = 10, 6
	for i := range n {
		r := queued(i)
		if err := a.CommitTasks([]tasks.Write{{Rec: &r}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	won := map[string][]string{}
	var wg sync.WaitGroup
	for c := range claimers {
		st := []*jetstream.Store{a, b}[c%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("node-%d", c)
			for i := range n {
				prev := queued(i)
				next := prev
				next.State, next.Attempts, next.Owner = tasks.Running, 1, owner
				// With a kv write and a checkpoint: the claim is a batch
				// of several subjects.
				w := tasks.Write{Rec: &next, Prev: &prev, Checkpoint: []byte(owner),
					KV: []tasks.KVOp{{Namespace: "mod", Key: next.ID, Value: []byte(owner)}}}
				err := st.CommitTasks([]tasks.Write{w})
				switch {
				case err == nil:
					mu.Lock()
					won[next.ID] = append(won[next.ID], owner)
					mu.Unlock()
				case !errors.Is(err, tasks.ErrStale):
					t.Errorf("claim: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	for i := range n {
		id := queued(i).ID
		if len(won[id]) != 1 {
			t.Fatalf("task %s claimed by %v, want exactly one", id, won[id])
		}
		// The winner's batch applied whole, and no loser's part of one.
		r, _, err := b.Task(id)
		cp, err2 := a.Checkpoint(id)
		v, _, err3 := b.Get("mod", id)
		if err := errors.Join(err, err2, err3); err != nil {
			t.Fatal(err)
		}
		if r.Owner != won[id][0] || string(cp) != won[id][0] || string(v) != won[id][0] {
			t.Fatalf("task %s: owner %q, checkpoint %q, kv %q; winner %s", id, r.Owner, cp, v, won[id][0])
		}
	}
}

// TestReplicasMismatch checks that a node asking for another replica count
// than the store has is refused, naming both.
func TestReplicasMismatch(t *testing.T) {
	open(t)
	_, err := jetstream.Open(srv.URL(), jetstream.Options{Name: fmt.Sprintf("T%d", stores.Load()), Replicas: 3})
	if err == nil || !strings.Contains(err.Error(), "has 1 replicas, this node asks for 3") {
		t.Fatalf("Open with 3 replicas of a store of 1: %v", err)
	}
}

// TestUnreachable checks that a store on an address where no NATS listens
// fails to open with the address.
func TestUnreachable(t *testing.T) {
	_, err := jetstream.Open("nats://127.0.0.1:1", jetstream.Options{Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Open of an unreachable server: %v", err)
	}
}
