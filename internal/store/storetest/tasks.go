package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

// RunTasks runs the contract suite of tasks.Store against stores made by
// open.
func RunTasks(t *testing.T, open func(t *testing.T) tasks.Store) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, tasks.Store)
	}{
		{"CreateAndRead", testTaskCreateAndRead},
		{"LargeInputAndOutput", testTaskLargeInputAndOutput},
		{"Encoded", testTaskEncoded},
		{"Checkpoint", testTaskCheckpoint},
		{"CreateIfAbsent", testTaskCreateIfAbsent},
		{"IdempotencyKeyHeld", testTaskKeyHeld},
		{"CompareAndSet", testTaskCompareAndSet},
		{"Claim", testTaskClaim},
		{"Transitions", testTaskTransitions},
		{"OneTransaction", testTaskOneTransaction},
		{"Delete", testTaskDelete},
		{"ActiveTasks", testTaskActive},
		{"ListTasks", testTaskList},
		{"ListPaging", testTaskListPaging},
		{"ExpiredTasks", testTaskExpired},
		{"ConcurrentClaims", testTaskConcurrentClaims},
		{"ConcurrentKeys", testTaskConcurrentKeys},
		{"ConcurrentCommits", testTaskConcurrentCommits},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// at is a fixed time n seconds into the tests' day, in UTC as a store
// returns times.
func at(n int) time.Time { return time.Date(2026, 12, 7, 8, 0, n, 0, time.UTC) }

// taskID returns the n-th test id: ids sort as their numbers do, as
// tasks.NewID's sort by creation.
func taskID(n int) string { return fmt.Sprintf("0000000000%06d", n) }

// newTask returns a queued record with every kind of field set.
func newTask(n int) tasks.Record {
	return tasks.Record{
		ID: taskID(n), Module: "mod", Version: 1, State: tasks.Queued, Priority: 5,
		Category: "default", Tags: []string{"all", fmt.Sprintf("t%d", n%3)},
		Fuel: 1000, MemoryBytes: 1 << 20, TimeoutMs: 100, QueueTimeoutMs: 50, MaxRetries: 2,
		Config: map[string]string{"k": "v"}, SubmittedAt: at(n), QueuedAt: at(n),
		Input: []byte(fmt.Sprintf("input %d", n)), InputBytes: len(fmt.Sprintf("input %d", n)),
	}
}

func commit(t *testing.T, st tasks.Store, ws ...tasks.Write) {
	t.Helper()
	if err := st.CommitTasks(ws); err != nil {
		t.Fatalf("CommitTasks: %v", err)
	}
}

func create(t *testing.T, st tasks.Store, recs ...tasks.Record) {
	t.Helper()
	for i := range recs {
		commit(t, st, tasks.Write{Rec: &recs[i]})
	}
}

// change returns a write moving prev to the record change makes of it.
func change(prev tasks.Record, fn func(*tasks.Record)) tasks.Write {
	next := prev
	next.Tags = slices.Clone(prev.Tags)
	fn(&next)
	return tasks.Write{Rec: &next, Prev: &prev}
}

// claim is the change of a queued record to running for owner.
func claim(prev tasks.Record, owner string) tasks.Write {
	return change(prev, func(r *tasks.Record) {
		r.State, r.Attempts, r.Owner = tasks.Running, r.Attempts+1, owner
		r.StartedAt, r.LeaseUntil = at(100), at(130)
	})
}

// finish is the change of a running record to succeeded.
func finish(prev tasks.Record) tasks.Write {
	return change(prev, func(r *tasks.Record) {
		r.State, r.Owner, r.LeaseUntil = tasks.Succeeded, "", time.Time{}
		r.FinishedAt, r.ExpiresAt, r.Output = at(101), at(1000), []byte("out")
	})
}

func get(t *testing.T, st tasks.Store, id string) tasks.Record {
	t.Helper()
	r, found, err := st.Task(id)
	if err != nil || !found {
		t.Fatalf("Task(%s) = found %v, %v", id, found, err)
	}
	return r
}

func wantSame(t *testing.T, got, want tasks.Record) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("record:\n got %+v\nwant %+v", got, want)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func ids(recs []tasks.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func testTaskCreateAndRead(t *testing.T, st tasks.Store) {
	if _, found, err := st.Task(taskID(1)); found || err != nil {
		t.Fatalf("Task of an empty store = found %v, %v", found, err)
	}
	r := newTask(1)
	r.Events = []tasks.Event{{At: at(2), Kind: tasks.EventPreempted, Attempt: 1}}
	create(t, st, r)
	wantSame(t, get(t, st, r.ID), r)
	in, err := st.TaskInput(r.ID)
	must(t, err)
	if !bytes.Equal(in, r.Input) {
		t.Fatalf("TaskInput = %q, want %q", in, r.Input)
	}
	if _, err := st.TaskInput(taskID(2)); err == nil {
		t.Fatal("TaskInput of a missing task: no error")
	}
	// Values returned are the caller's.
	got := get(t, st, r.ID)
	got.Input[0], got.Tags[0] = 'X', "X"
	wantSame(t, get(t, st, r.ID), r)
}

func testTaskLargeInputAndOutput(t *testing.T, st tasks.Store) {
	r := newTask(1)
	r.Input = bytes.Repeat([]byte("i"), tasks.MaxInputInMemory+1)
	r.InputBytes = len(r.Input)
	create(t, st, r)
	wantSame(t, get(t, st, r.ID), r)
	var active []tasks.Record
	must(t, st.ActiveTasks(func(r tasks.Record) error { active = append(active, r); return nil }))
	if len(active) != 1 {
		t.Fatalf("ActiveTasks: %d records, want 1", len(active))
	}
	if active[0].Input != nil || active[0].InputBytes != len(r.Input) {
		t.Fatalf("ActiveTasks with a large input: input %d bytes, InputBytes %d, want none and %d",
			len(active[0].Input), active[0].InputBytes, len(r.Input))
	}
	// The service keeps only the size of a large input in memory: later
	// writes carry no input, and the input stays.
	shed := r
	shed.Input = nil
	w := claim(shed, "a")
	w.Rec.Output = bytes.Repeat([]byte("o"), 100<<10)
	commit(t, st, w)
	got := get(t, st, r.ID)
	if !bytes.Equal(got.Input, r.Input) || !bytes.Equal(got.Output, w.Rec.Output) {
		t.Fatalf("after an update without the input: input %d bytes, output %d bytes", len(got.Input), len(got.Output))
	}
	in, err := st.TaskInput(r.ID)
	must(t, err)
	if !bytes.Equal(in, r.Input) {
		t.Fatalf("TaskInput: %d bytes, want %d", len(in), len(r.Input))
	}
	// A listing leaves outputs out but gives their size, large or small.
	small := newTask(2)
	create(t, st, small)
	c := claim(small, "a")
	commit(t, st, c)
	commit(t, st, finish(*c.Rec))
	recs, err := st.ListTasks(tasks.Filter{}, 10)
	must(t, err)
	if len(recs) != 2 || recs[0].OutputBytes != len("out") || recs[1].OutputBytes != len(w.Rec.Output) {
		t.Fatalf("ListTasks: %d records, output bytes %v, want 2: %d and %d", len(recs), outputBytes(recs), len("out"), len(w.Rec.Output))
	}
}

// outputBytes returns the OutputBytes of recs.
func outputBytes(recs []tasks.Record) []int {
	var n []int
	for _, r := range recs {
		n = append(n, r.OutputBytes)
	}
	return n
}

func testTaskEncoded(t *testing.T, st tasks.Store) {
	r := newTask(1)
	enc, err := st.EncodeTask(&r)
	must(t, err)
	commit(t, st, tasks.Write{Rec: &r, Encoded: enc})
	wantSame(t, get(t, st, r.ID), r)
}

func testTaskCheckpoint(t *testing.T, st tasks.Store) {
	r := newTask(1)
	create(t, st, r)
	if cp, err := st.Checkpoint(r.ID); cp != nil || err != nil {
		t.Fatalf("Checkpoint before any = %q, %v", cp, err)
	}
	w := claim(r, "a")
	commit(t, st, w)
	for _, cp := range []string{"one", "two"} {
		next := change(*w.Rec, func(r *tasks.Record) { r.CheckpointBytes = len(cp) })
		next.Checkpoint = []byte(cp)
		commit(t, st, next)
		w = next
		got, err := st.Checkpoint(r.ID)
		must(t, err)
		if string(got) != cp {
			t.Fatalf("Checkpoint = %q, want %q", got, cp)
		}
	}
	commit(t, st, tasks.Write{Rec: w.Rec, Delete: true})
	if cp, err := st.Checkpoint(r.ID); cp != nil || err != nil {
		t.Fatalf("Checkpoint after delete = %q, %v", cp, err)
	}
}

func testTaskCreateIfAbsent(t *testing.T, st tasks.Store) {
	r := newTask(1)
	create(t, st, r)
	again := newTask(1)
	again.Module = "other"
	wantErr(t, st.CommitTasks([]tasks.Write{{Rec: &again}}), tasks.ErrStale)
	wantSame(t, get(t, st, r.ID), r)
}

func testTaskKeyHeld(t *testing.T, st tasks.Store) {
	a, b := newTask(1), newTask(2)
	a.IdempotencyKey, b.IdempotencyKey = "k", "k"
	create(t, st, a)
	err := st.CommitTasks([]tasks.Write{{Rec: &b}})
	var held *tasks.KeyHeldError
	if !errors.As(err, &held) || held.Key != "k" || held.Task != b.ID || held.HeldBy != a.ID {
		t.Fatalf("second record with key k: %v, want a KeyHeldError naming %s", err, a.ID)
	}
	wantErr(t, err, tasks.ErrConflict)
	if _, found, _ := st.Task(b.ID); found {
		t.Fatal("the refused record was stored")
	}
	keys := map[string]string{}
	must(t, st.IdempotencyKeys(func(k, id string) error { keys[k] = id; return nil }))
	if !reflect.DeepEqual(keys, map[string]string{"k": a.ID}) {
		t.Fatalf("IdempotencyKeys = %v", keys)
	}
	// Updates keep the key; deleting its task frees it.
	w := claim(a, "o")
	commit(t, st, w)
	wantErr(t, st.CommitTasks([]tasks.Write{{Rec: &b}}), tasks.ErrConflict)
	commit(t, st, tasks.Write{Rec: w.Rec, Delete: true})
	commit(t, st, tasks.Write{Rec: &b})
	keys = map[string]string{}
	must(t, st.IdempotencyKeys(func(k, id string) error { keys[k] = id; return nil }))
	if !reflect.DeepEqual(keys, map[string]string{"k": b.ID}) {
		t.Fatalf("IdempotencyKeys after the holder's deletion = %v", keys)
	}
}

func testTaskCompareAndSet(t *testing.T, st tasks.Store) {
	r := newTask(1)
	create(t, st, r)
	// A change that keeps the revision (a renewal, a checkpoint) may be
	// based on any record of that revision.
	w := claim(r, "a")
	commit(t, st, w)
	renew := change(*w.Rec, func(r *tasks.Record) { r.LeaseUntil = at(200) })
	commit(t, st, renew)
	renewAgain := change(*w.Rec, func(r *tasks.Record) { r.LeaseUntil = at(300) })
	commit(t, st, renewAgain)
	// Based on the queued record: stale.
	wantErr(t, st.CommitTasks([]tasks.Write{change(r, func(r *tasks.Record) { r.Priority = 9 })}), tasks.ErrStale)
	// Based on the right state and attempt but another owner: stale.
	other := *w.Rec
	other.Owner = "b"
	wantErr(t, st.CommitTasks([]tasks.Write{finish(other)}), tasks.ErrStale)
	// Based on a record that is not there: stale.
	ghost := newTask(2)
	wantErr(t, st.CommitTasks([]tasks.Write{change(ghost, func(r *tasks.Record) { r.Priority = 9 })}), tasks.ErrStale)
	if _, found, _ := st.Task(ghost.ID); found {
		t.Fatal("a stale change created its record")
	}
	want := *renewAgain.Rec
	wantSame(t, get(t, st, r.ID), want)
	f := finish(want)
	commit(t, st, f)
	wantSame(t, get(t, st, r.ID), *f.Rec)
}

func testTaskClaim(t *testing.T, st tasks.Store) {
	r := newTask(1)
	create(t, st, r)
	a, b := claim(r, "a"), claim(r, "b")
	commit(t, st, a)
	wantErr(t, st.CommitTasks([]tasks.Write{b}), tasks.ErrStale)
	// The loser's outcome, based on its own claim, is refused; the
	// winner's is taken.
	wantErr(t, st.CommitTasks([]tasks.Write{finish(*b.Rec)}), tasks.ErrStale)
	commit(t, st, finish(*a.Rec))
	// A requeued record is claimed again with one more attempt: a claim
	// of an earlier attempt's revision is stale.
	r2 := newTask(2)
	create(t, st, r2)
	c1 := claim(r2, "a")
	commit(t, st, c1)
	requeue := change(*c1.Rec, func(r *tasks.Record) { r.State, r.Owner, r.LeaseUntil = tasks.Queued, "", time.Time{} })
	commit(t, st, requeue)
	c2 := claim(*requeue.Rec, "b")
	commit(t, st, c2)
	wantErr(t, st.CommitTasks([]tasks.Write{finish(*c1.Rec)}), tasks.ErrStale)
	if got := get(t, st, r2.ID); got.Owner != "b" || got.Attempts != 2 || got.State != tasks.Running {
		t.Fatalf("after the second claim: %s attempt %d owner %q", got.State, got.Attempts, got.Owner)
	}
}

func testTaskTransitions(t *testing.T, st tasks.Store) {
	r := newTask(1)
	create(t, st, r)
	w := claim(r, "a")
	commit(t, st, w)
	f := finish(*w.Rec)
	commit(t, st, f)
	for _, to := range []tasks.State{tasks.Queued, tasks.Running, tasks.Failed} {
		bad := change(*f.Rec, func(r *tasks.Record) { r.State = to })
		wantErr(t, st.CommitTasks([]tasks.Write{bad}), tasks.ErrTransition)
	}
	wantSame(t, get(t, st, r.ID), *f.Rec)
	// A failed task may be retried (queued again).
	g := newTask(2)
	create(t, st, g)
	w = claim(g, "a")
	commit(t, st, w)
	failed := change(*w.Rec, func(r *tasks.Record) { r.State, r.Owner = tasks.Failed, "" })
	commit(t, st, failed)
	commit(t, st, change(*failed.Rec, func(r *tasks.Record) { r.State = tasks.Queued }))
	// A new record starts scheduled or queued, or further on when the
	// group commit merged its first writes.
	for i, s := range []tasks.State{tasks.Scheduled, tasks.Succeeded} {
		n := newTask(10 + i)
		n.State = s
		create(t, st, n)
	}
}

func testTaskOneTransaction(t *testing.T, st tasks.Store) {
	// Later writes see the earlier ones of the same call.
	r := newTask(1)
	c := claim(r, "a")
	f := finish(*c.Rec)
	commit(t, st, tasks.Write{Rec: &r}, c, f)
	wantSame(t, get(t, st, r.ID), *f.Rec)
	// One refused write and none applies.
	ok := newTask(2)
	stale := claim(r, "b")
	wantErr(t, st.CommitTasks([]tasks.Write{{Rec: &ok}, stale}), tasks.ErrStale)
	if _, found, _ := st.Task(ok.ID); found {
		t.Fatal("a write of a refused transaction was applied")
	}
	wantSame(t, get(t, st, r.ID), *f.Rec)
}

func testTaskDelete(t *testing.T, st tasks.Store) {
	r := newTask(1)
	r.IdempotencyKey = "k"
	create(t, st, r)
	c := claim(r, "a")
	c.Checkpoint = []byte("cp")
	commit(t, st, c)
	f := finish(*c.Rec)
	commit(t, st, f)
	// A delete based on an older revision is stale.
	wantErr(t, st.CommitTasks([]tasks.Write{{Rec: c.Rec, Delete: true}}), tasks.ErrStale)
	commit(t, st, tasks.Write{Rec: f.Rec, Delete: true})
	if _, found, err := st.Task(r.ID); found || err != nil {
		t.Fatalf("Task after delete = found %v, %v", found, err)
	}
	// Deleting what is not there does nothing.
	commit(t, st, tasks.Write{Rec: f.Rec, Delete: true})
	for _, f := range []tasks.Filter{{}, {State: tasks.Succeeded}, {Module: "mod"}, {Tag: "all"}} {
		recs, err := st.ListTasks(f, 10)
		must(t, err)
		if len(recs) != 0 {
			t.Fatalf("ListTasks(%+v) after delete = %v", f, ids(recs))
		}
	}
	exp, err := st.ExpiredTasks(at(5000), 10)
	must(t, err)
	if len(exp) != 0 {
		t.Fatalf("ExpiredTasks after delete = %v", ids(exp))
	}
	must(t, st.IdempotencyKeys(func(k, id string) error { return fmt.Errorf("key %s of %s left", k, id) }))
}

func testTaskActive(t *testing.T, st tasks.Store) {
	q, s, r, d := newTask(1), newTask(2), newTask(3), newTask(4)
	s.State, s.RunAt, s.QueuedAt = tasks.Scheduled, at(500), time.Time{}
	create(t, st, q, s, r, d)
	commit(t, st, claim(r, "a"))
	c := claim(d, "a")
	commit(t, st, c, finish(*c.Rec))
	got := map[string]tasks.State{}
	must(t, st.ActiveTasks(func(r tasks.Record) error { got[r.ID] = r.State; return nil }))
	want := map[string]tasks.State{q.ID: tasks.Queued, s.ID: tasks.Scheduled, r.ID: tasks.Running}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ActiveTasks = %v, want %v", got, want)
	}
	stop := errors.New("stop")
	if err := st.ActiveTasks(func(tasks.Record) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("ActiveTasks returned %v, want fn's error", err)
	}
}

func testTaskList(t *testing.T, st tasks.Store) {
	var recs []tasks.Record
	for i := range 9 {
		recs = append(recs, newTask(i))
	}
	recs[7].Module = "other"
	create(t, st, recs...)
	c := claim(recs[4], "a")
	commit(t, st, c)
	for _, c := range []struct {
		f    tasks.Filter
		want []int
	}{
		{tasks.Filter{}, []int{8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{tasks.Filter{State: tasks.Running}, []int{4}},
		{tasks.Filter{State: tasks.Queued}, []int{8, 7, 6, 5, 3, 2, 1, 0}},
		{tasks.Filter{Module: "other"}, []int{7}},
		{tasks.Filter{Tag: "t1"}, []int{7, 4, 1}},
		{tasks.Filter{Tag: "t1", State: tasks.Queued}, []int{7, 1}},
		{tasks.Filter{Tag: "t1", Module: "mod"}, []int{4, 1}},
		{tasks.Filter{State: tasks.Failed}, nil},
		{tasks.Filter{Cursor: taskID(5)}, []int{4, 3, 2, 1, 0}},
		{tasks.Filter{Tag: "t1", Cursor: taskID(7)}, []int{4, 1}},
	} {
		got, err := st.ListTasks(c.f, 100)
		must(t, err)
		var want []string
		for _, i := range c.want {
			want = append(want, taskID(i))
		}
		if !slices.Equal(ids(got), want) {
			t.Errorf("ListTasks(%+v) = %v, want %v", c.f, ids(got), want)
		}
		for _, r := range got {
			if r.Input != nil || r.Output != nil {
				t.Errorf("ListTasks(%+v) returned %s with its input or output", c.f, r.ID)
			}
		}
	}
}

func testTaskListPaging(t *testing.T, st tasks.Store) {
	const n = 25
	for i := range n {
		create(t, st, newTask(i))
	}
	for _, f := range []tasks.Filter{{}, {State: tasks.Queued}, {Module: "mod"}, {Tag: "all"}} {
		var seen []string
		for page := 0; ; page++ {
			recs, err := st.ListTasks(f, 7)
			must(t, err)
			if len(recs) > 7 {
				t.Fatalf("page of %d records, limit 7", len(recs))
			}
			seen = append(seen, ids(recs)...)
			if len(recs) < 7 {
				break
			}
			f.Cursor = recs[len(recs)-1].ID
		}
		newestFirst := slices.IsSortedFunc(seen, func(a, b string) int { return strings.Compare(b, a) })
		if len(seen) != n || !newestFirst || len(slices.Compact(slices.Clone(seen))) != n {
			t.Fatalf("pages of %+v: %v", f, seen)
		}
	}
}

func testTaskExpired(t *testing.T, st tasks.Store) {
	var recs []tasks.Record
	for i, exp := range []int{300, 100, 200, 400} {
		r := newTask(i)
		create(t, st, r)
		c := claim(r, "a")
		f := finish(*c.Rec)
		f.Rec.State, f.Rec.ExpiresAt = tasks.Failed, at(exp)
		commit(t, st, c, f)
		recs = append(recs, *f.Rec)
	}
	got, err := st.ExpiredTasks(at(350), 10)
	must(t, err)
	if want := []string{taskID(1), taskID(2), taskID(0)}; !slices.Equal(ids(got), want) {
		t.Fatalf("ExpiredTasks(350) = %v, want %v (oldest expiry first)", ids(got), want)
	}
	got, err = st.ExpiredTasks(at(350), 2)
	must(t, err)
	if want := []string{taskID(1), taskID(2)}; !slices.Equal(ids(got), want) {
		t.Fatalf("ExpiredTasks(350, limit 2) = %v, want %v", ids(got), want)
	}
	got, err = st.ExpiredTasks(at(100), 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("ExpiredTasks(100) = %v: expiry must be before now", ids(got))
	}
	// A retried task no longer expires; a changed expiry moves.
	retry := change(recs[1], func(r *tasks.Record) { r.State, r.ExpiresAt = tasks.Queued, time.Time{} })
	later := change(recs[2], func(r *tasks.Record) { r.ExpiresAt = at(500) })
	commit(t, st, retry, later)
	got, err = st.ExpiredTasks(at(450), 10)
	must(t, err)
	if want := []string{taskID(0), taskID(3)}; !slices.Equal(ids(got), want) {
		t.Fatalf("ExpiredTasks(450) after changes = %v, want %v", ids(got), want)
	}
}

// hammer runs fn(i) for i in [0, n) on n goroutines at once.
func hammer(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func testTaskConcurrentClaims(t *testing.T, st tasks.Store) {
	const tasksN, claimers = 20, 8
	for i := range tasksN {
		create(t, st, newTask(i))
	}
	var mu sync.Mutex
	won := map[string][]string{}
	hammer(claimers, func(c int) {
		owner := fmt.Sprintf("owner-%d", c)
		for i := range tasksN {
			r := newTask(i)
			err := st.CommitTasks([]tasks.Write{claim(r, owner)})
			switch {
			case err == nil:
				mu.Lock()
				won[r.ID] = append(won[r.ID], owner)
				mu.Unlock()
			case !errors.Is(err, tasks.ErrStale):
				t.Errorf("claim: %v", err)
			}
		}
	})
	for i := range tasksN {
		id := taskID(i)
		if len(won[id]) != 1 {
			t.Fatalf("task %s claimed by %v, want exactly one", id, won[id])
		}
		if got := get(t, st, id); got.Owner != won[id][0] || got.Attempts != 1 {
			t.Fatalf("task %s: owner %q attempts %d, winner %s", id, got.Owner, got.Attempts, won[id][0])
		}
	}
}

func testTaskConcurrentKeys(t *testing.T, st tasks.Store) {
	const n = 16
	var mu sync.Mutex
	var created []string
	heldBy := map[string]bool{}
	hammer(n, func(i int) {
		r := newTask(i)
		r.IdempotencyKey = "same"
		err := st.CommitTasks([]tasks.Write{{Rec: &r}})
		mu.Lock()
		defer mu.Unlock()
		var held *tasks.KeyHeldError
		switch {
		case err == nil:
			created = append(created, r.ID)
		case errors.As(err, &held):
			heldBy[held.HeldBy] = true
		default:
			t.Errorf("create: %v", err)
		}
	})
	if len(created) != 1 {
		t.Fatalf("%d records created with one key, want 1", len(created))
	}
	for id := range heldBy {
		if id != created[0] {
			t.Fatalf("a refusal named %s as the holder, the holder is %s", id, created[0])
		}
	}
}

func testTaskConcurrentCommits(t *testing.T, st tasks.Store) {
	const writers, each = 8, 25
	hammer(writers, func(w int) {
		for i := range each {
			r := newTask(w*each + i)
			c := claim(r, "a")
			if err := st.CommitTasks([]tasks.Write{{Rec: &r}, c, finish(*c.Rec)}); err != nil {
				t.Errorf("commit: %v", err)
			}
		}
	})
	recs, err := st.ListTasks(tasks.Filter{State: tasks.Succeeded}, writers*each+1)
	must(t, err)
	if len(recs) != writers*each {
		t.Fatalf("%d succeeded records, want %d", len(recs), writers*each)
	}
}
