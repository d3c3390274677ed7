package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

// TestLeaseRenewedWhileRunning watches on disk the record of an attempt
// that runs for several leases: its lease_until stays in the future and
// moves on, and the reaper leaves it alone.
func TestLeaseRenewedWhileRunning(t *testing.T) {
	t.Parallel()
	const lease = time.Second // a sweep every 333 ms: slack for a loaded machine
	e := open(t, t.TempDir(), tasks.Config{Lease: lease})
	id := e.submit(tasks.Spec{Module: "tt", Input: []byte("l"), Fuel: 1e12, TimeoutMs: 3500, MaxRetries: ptr(0)}).ID
	var seen int
	var first, last time.Time
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		r, found, err := e.db.Task(id)
		now := time.Now()
		if err != nil || !found {
			t.Fatalf("reading the record: found %v, %v", found, err)
		}
		if r.State.Terminal() {
			break
		}
		if r.State != tasks.Running {
			continue
		}
		if !r.LeaseUntil.After(now) {
			t.Fatalf("running on disk with lease_until %v, %v ago", r.LeaseUntil, now.Sub(r.LeaseUntil))
		}
		if seen++; seen == 1 {
			first = r.LeaseUntil
		}
		last = r.LeaseUntil
	}
	if !last.After(first.Add(2 * lease)) {
		t.Fatalf("lease_until went from %v to %v in %d observations: not renewed", first, last, seen)
	}
	r := e.wait(id)
	if r.State != tasks.Dead || r.ErrorCode != "timeout" || r.Attempts != 1 || !r.LeaseUntil.IsZero() {
		t.Fatalf("finished: %s %s attempts %d lease_until %v", r.State, r.ErrorCode, r.Attempts, r.LeaseUntil)
	}
	if st := e.svc.Stats(); st.Reaped != 0 || st.LeaseRenewals < 2 {
		t.Fatalf("reaped %d, renewals %d", st.Reaped, st.LeaseRenewals)
	}
}

// TestLeaseOverrunCountsOnce runs attempts that outlive their (short) lease
// many times over, waiting for a worker token and running: each runs once
// and counts once.
func TestLeaseOverrunCountsOnce(t *testing.T) {
	t.Parallel()
	const lease = 60 * time.Millisecond
	e := open(t, t.TempDir(), tasks.Config{Lease: lease})
	keys := []string{"slow1", "slow2", "slow3"}
	var ids []string
	for _, k := range keys {
		ids = append(ids, e.submit(tasks.Spec{Module: "tt", Input: []byte("s" + k), Fuel: 1e12, MaxRetries: ptr(0)}).ID)
	}
	for i, id := range ids {
		r := e.wait(id)
		if r.State != tasks.Succeeded || r.Attempts != 1 {
			t.Fatalf("%s: %s attempts %d (%s)", keys[i], r.State, r.Attempts, r.ErrorMessage)
		}
		if d := r.FinishedAt.Sub(r.StartedAt); d < 2*lease {
			t.Fatalf("%s ran %v, less than two leases: the test shows nothing", keys[i], d)
		}
		if n := e.kvCount(keys[i]); n != 1 {
			t.Fatalf("%s counted %d, want 1", keys[i], n)
		}
	}
	st := e.svc.Stats()
	if n := e.runs.Load(); n != 3 {
		t.Fatalf("%d runs, want 3", n)
	}
	if st.Reaped != 0 || st.LeaseRenewals == 0 {
		t.Fatalf("reaped %d, renewals %d", st.Reaped, st.LeaseRenewals)
	}
}

// TestExpiredLeaseRequeued writes running records that no attempt of this
// process holds, as a process that died after start-up recovery would have
// left them: the reaper requeues those whose lease ended, keeps their
// checkpoint and counts their attempt, and leaves one whose lease has not
// ended until it does.
func TestExpiredLeaseRequeued(t *testing.T) {
	t.Parallel()
	const lease = 60 * time.Millisecond
	e := open(t, t.TempDir(), tasks.Config{Lease: lease})
	now := time.Now()
	mk := func(id, input string, leaseUntil time.Time) tasks.Record {
		return tasks.Record{ID: id, Module: "tt", Version: 1, State: tasks.Running, Priority: 5, Category: "default",
			MaxRetries: 3, Attempts: 1, SubmittedAt: now, StartedAt: now, LeaseUntil: leaseUntil, Input: []byte(input)}
	}
	held := now.Add(time.Second)
	recs := []tasks.Record{
		mk("00000000000000000000000000000011", "creaped", now.Add(-time.Second)),
		mk("00000000000000000000000000000012", "r", now.Add(-time.Millisecond)),
		mk("00000000000000000000000000000013", "cheld", held),
	}
	recs[1].CheckpointBytes = len("step1")
	ws := []tasks.Write{{Rec: &recs[0]}, {Rec: &recs[1], Checkpoint: []byte("step1")}, {Rec: &recs[2]}}
	if err := e.db.CommitTasks(ws); err != nil {
		t.Fatal(err)
	}
	finished := func(id string) tasks.Record {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			r, err := e.svc.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if r.State.Terminal() {
				return r
			}
		}
		t.Fatalf("task %s not finished after 20 s", id)
		return tasks.Record{}
	}
	a := finished(recs[0].ID)
	if a.State != tasks.Succeeded || a.Attempts != 2 || string(a.Output) != "1" {
		t.Fatalf("reaped task: %s attempts %d output %q (%s)", a.State, a.Attempts, a.Output, a.ErrorMessage)
	}
	c := finished(recs[1].ID)
	if c.State != tasks.Succeeded || c.Attempts != 2 || string(c.Output) != "step1" || c.Progress != [2]int64{2, 2} {
		t.Fatalf("reaped task with a checkpoint: %s attempts %d output %q progress %v", c.State, c.Attempts, c.Output, c.Progress)
	}
	if b, _, err := e.db.Task(recs[2].ID); err != nil || (time.Now().Before(held) && (b.State != tasks.Running || b.Attempts != 1)) {
		t.Fatalf("task whose lease has not ended: %s attempts %d, %v", b.State, b.Attempts, err)
	}
	b := finished(recs[2].ID)
	if b.State != tasks.Succeeded || b.Attempts != 2 || b.StartedAt.Before(held) {
		t.Fatalf("held task: %s attempts %d started %v, lease ended %v", b.State, b.Attempts, b.StartedAt, held)
	}
	// Later sweeps find nothing more to requeue: each counted once.
	for range 3 {
		e.svc.ReapExpiredAt(time.Now().Add(time.Hour))
	}
	for _, k := range []string{"reaped", "held"} {
		if n := e.kvCount(k); n != 1 {
			t.Fatalf("%s counted %d, want 1", k, n)
		}
	}
	if st := e.svc.Stats(); st.Reaped != 3 {
		t.Fatalf("reaped %d, want 3", st.Reaped)
	}
	if n := e.runs.Load(); n != 3 {
		t.Fatalf("%d runs, want 3", n)
	}
}

// TestReaperSkipsLiveAttempt runs the reaper as if every lease had ended
// long ago while an attempt runs: it must leave the task alone, since this
// process runs it, so the task runs once and counts once.
func TestReaperSkipsLiveAttempt(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{Lease: time.Hour})
	id := e.submit(tasks.Spec{Module: "tt", Input: []byte("slive"), Fuel: 1e12, MaxRetries: ptr(0)}).ID
	passes := 0
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		r, _, err := e.db.Task(id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State.Terminal() {
			break
		}
		if r.State == tasks.Running {
			e.svc.ReapExpiredAt(time.Now().Add(2 * time.Hour))
			passes++
		}
	}
	if passes == 0 {
		t.Fatal("the reaper never ran while the task was running on disk")
	}
	r := e.wait(id)
	if r.State != tasks.Succeeded || r.Attempts != 1 || e.kvCount("live") != 1 || e.runs.Load() != 1 || e.svc.Stats().Reaped != 0 {
		t.Fatalf("after %d reaper passes: %s attempts %d count %d runs %d reaped %d",
			passes, r.State, r.Attempts, e.kvCount("live"), e.runs.Load(), e.svc.Stats().Reaped)
	}
}
