package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

// runAcross checks what involves more than one interface of a Store.
func runAcross(t *testing.T, open func(t *testing.T) Store) {
	t.Run("TaskKV", func(t *testing.T) {
		st := open(t)
		must(t, st.Set("mod", "gone", []byte("x"), unlimited))
		r := newTask(1)
		create(t, st, r)
		c := claim(r, "a")
		commit(t, st, c)
		// kv writes of an attempt apply with the record, in order.
		f := finish(*c.Rec)
		f.KV = []tasks.KVOp{
			{Namespace: "mod", Key: "k", Value: []byte("1")},
			{Namespace: "mod", Key: "k", Value: []byte("2")},
			{Namespace: "mod", Key: "gone", Delete: true},
		}
		commit(t, st, f)
		wantKV(t, st, "mod", "k", "2", true)
		wantKV(t, st, "mod", "gone", "", false)
		// ... and not at all with a refused one.
		stale := finish(*c.Rec)
		stale.KV = []tasks.KVOp{{Namespace: "mod", Key: "k", Value: []byte("3")}}
		wantErr(t, st.CommitTasks([]tasks.Write{stale}), tasks.ErrStale)
		wantKV(t, st, "mod", "k", "2", true)
		// They count against the namespace's total as Set's do: "k" and
		// "2" are 2 bytes.
		must(t, st.Set("mod", "other", []byte("12345"), 2+5+5))
		if err := st.Set("mod", "x", nil, 2+5+5); !errors.Is(err, host.ErrKVFull) {
			t.Fatalf("Set past the total after an attempt's writes: %v", err)
		}
	})
	t.Run("FencedOutcome", func(t *testing.T) {
		// A node claims a task, loses it (its lease ended and the task
		// was requeued and claimed by another node), and comes back with
		// its checkpoint and its outcome: both are refused, with their kv
		// writes, and the task succeeds once, by the second claim.
		st := open(t)
		r := newTask(1)
		create(t, st, r)
		a := claim(r, "node-a")
		commit(t, st, a)
		requeue := change(*a.Rec, func(r *tasks.Record) { r.State, r.Owner, r.LeaseUntil = tasks.Queued, "", time.Time{} })
		commit(t, st, requeue)
		b := claim(*requeue.Rec, "node-b")
		commit(t, st, b)
		cp := change(*a.Rec, func(r *tasks.Record) { r.CheckpointBytes = 5 })
		cp.Checkpoint = []byte("stale")
		cp.KV = []tasks.KVOp{{Namespace: "mod", Key: "n", Value: []byte("a-cp")}}
		wantErr(t, st.CommitTasks([]tasks.Write{cp}), tasks.ErrStale)
		stale := finish(*a.Rec)
		stale.KV = []tasks.KVOp{{Namespace: "mod", Key: "n", Value: []byte("a")}}
		wantErr(t, st.CommitTasks([]tasks.Write{stale}), tasks.ErrStale)
		wantKV(t, st, "mod", "n", "", false)
		if got, err := st.Checkpoint(r.ID); err != nil || got != nil {
			t.Fatalf("Checkpoint after a fenced one = %q, %v", got, err)
		}
		won := finish(*b.Rec)
		won.KV = []tasks.KVOp{{Namespace: "mod", Key: "n", Value: []byte("b")}}
		commit(t, st, won)
		wantKV(t, st, "mod", "n", "b", true)
		got := get(t, st, r.ID)
		if got.State != tasks.Succeeded || got.Attempts != 2 {
			t.Fatalf("after the fenced outcome: %s, attempt %d", got.State, got.Attempts)
		}
		// The stale outcome stays refused once the task has finished.
		wantErr(t, st.CommitTasks([]tasks.Write{stale}), tasks.ErrStale)
	})
	t.Run("DeleteModuleKV", func(t *testing.T) {
		st := open(t)
		put(t, st, "m", 1)
		must(t, st.Set("m", "k", []byte("v"), unlimited))
		must(t, st.Set("n", "k", []byte("v"), unlimited))
		if _, err := st.DeleteModule("m"); err != nil {
			t.Fatal(err)
		}
		wantKV(t, st, "m", "k", "", false)
		wantKV(t, st, "n", "k", "v", true)
		_, err := st.Bytes(version("m", 1).Digest)
		wantErr(t, err, modules.ErrNotFound)
	})
}
