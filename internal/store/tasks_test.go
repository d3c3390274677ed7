package store_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
)

func commit(t *testing.T, db *store.DB, ws ...tasks.Write) {
	t.Helper()
	if err := db.CommitTasks(ws); err != nil {
		t.Fatal(err)
	}
}

func TestTaskRecordLifecycle(t *testing.T) {
	db := open(t, t.TempDir())
	defer db.Close()
	big := bytes.Repeat([]byte("x"), store.InlineTaskBytes+1)
	now := time.Now()
	r0 := tasks.Record{ID: "0001", Module: "m", State: tasks.Queued, Tags: []string{"a", "b"},
		IdempotencyKey: "k", Input: big, SubmittedAt: now}
	commit(t, db, tasks.Write{Rec: &r0})

	r1 := r0
	r1.State, r1.Output = tasks.Running, nil
	r2 := r1
	r2.State, r2.Output, r2.ExpiresAt = tasks.Succeeded, append(big, 'y'), now.Add(time.Hour)
	commit(t, db, tasks.Write{Rec: &r1, Prev: &r0}, tasks.Write{Rec: &r2, Prev: &r1, Checkpoint: []byte("cp"),
		KV: []tasks.KVOp{{Namespace: "m", Key: "count", Value: []byte{1}}, {Namespace: "m", Key: "gone", Delete: true}}})

	got, found, err := db.Task("0001")
	if err != nil || !found || got.State != tasks.Succeeded || !bytes.Equal(got.Input, big) || len(got.Output) != len(big)+1 {
		t.Fatalf("Task: found %v state %s input %d output %d err %v", found, got.State, len(got.Input), len(got.Output), err)
	}
	if cp, _ := db.Checkpoint("0001"); string(cp) != "cp" {
		t.Fatalf("checkpoint %q", cp)
	}
	if v, ok, _ := db.Get("m", "count"); !ok || !bytes.Equal(v, []byte{1}) {
		t.Fatalf("kv applied with the record: %v %v", v, ok)
	}
	if n, _ := db.KVSize("m"); n != int64(len("count")+1) {
		t.Fatalf("kv size %d", n)
	}
	for _, f := range []tasks.Filter{{State: tasks.Succeeded}, {Module: "m"}, {Tag: "b"}, {}} {
		l, err := db.ListTasks(f, 10)
		if err != nil || len(l) != 1 || l[0].ID != "0001" || l[0].Input != nil || l[0].Output != nil {
			t.Fatalf("list %+v: %v %v", f, l, err)
		}
	}
	for _, st := range []tasks.State{tasks.Queued, tasks.Running} {
		if l, _ := db.ListTasks(tasks.Filter{State: st}, 10); len(l) != 0 {
			t.Fatalf("stale %s index entry: %v", st, l)
		}
	}
	if exp, _ := db.ExpiredTasks(now, 10); len(exp) != 0 {
		t.Fatalf("expired before its time: %v", exp)
	}
	exp, err := db.ExpiredTasks(now.Add(2*time.Hour), 10)
	if err != nil || len(exp) != 1 {
		t.Fatalf("expired: %v %v", exp, err)
	}
	commit(t, db, tasks.Write{Rec: &exp[0], Delete: true})
	if _, found, _ := db.Task("0001"); found {
		t.Fatal("deleted task found")
	}
	keys := 0
	db.IdempotencyKeys(func(string, string) error { keys++; return nil })
	l, _ := db.ListTasks(tasks.Filter{Tag: "a"}, 10)
	if exp, _ := db.ExpiredTasks(now.Add(2*time.Hour), 10); keys != 0 || len(l) != 0 || len(exp) != 0 {
		t.Fatalf("leftovers: %d keys, %d tagged, %d expiring", keys, len(l), len(exp))
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestListTasksCursor(t *testing.T) {
	db := open(t, t.TempDir())
	defer db.Close()
	var ws []tasks.Write
	for i := range 50 {
		r := tasks.Record{ID: fmt.Sprintf("%04d", i), Module: fmt.Sprintf("m%d", i%2), State: tasks.Queued}
		ws = append(ws, tasks.Write{Rec: &r})
	}
	commit(t, db, ws...)
	for _, f := range []tasks.Filter{{}, {State: tasks.Queued}, {Module: "m1"}} {
		var seen []string
		for {
			page, err := db.ListTasks(f, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				seen = append(seen, r.ID)
			}
			if len(page) < 7 {
				break
			}
			f.Cursor = page[len(page)-1].ID
		}
		want := 50
		if f.Module != "" {
			want = 25
		}
		if len(seen) != want {
			t.Fatalf("filter %+v: %d records, want %d", f, len(seen), want)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] >= seen[i-1] {
				t.Fatalf("filter %+v: not newest first at %d: %v", f, i, seen)
			}
		}
	}
}
