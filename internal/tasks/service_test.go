package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

func TestSubmitRunsOnce(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	r := e.submit(tasks.Spec{Module: "tt", Input: []byte("ckey1"), Tags: []string{"a"}})
	if r.State != tasks.Queued || r.Version != 1 || r.Priority != tasks.DefaultPriority {
		t.Fatalf("submitted record: %+v", r)
	}
	done := e.wait(r.ID)
	if done.State != tasks.Succeeded || string(done.Output) != "1" || done.Attempts != 1 {
		t.Fatalf("finished record: state %s output %q attempts %d err %s", done.State, done.Output, done.Attempts, done.ErrorMessage)
	}
	if done.FuelUsed <= 0 || done.StartedAt.Before(done.SubmittedAt) || done.FinishedAt.Before(done.StartedAt) {
		t.Fatalf("figures: fuel %d submitted %v started %v finished %v", done.FuelUsed, done.SubmittedAt, done.StartedAt, done.FinishedAt)
	}
	if n := e.kvCount("key1"); n != 1 {
		t.Fatalf("kv count %d, want 1", n)
	}
	got, err := e.svc.Get(context.Background(), r.ID)
	if err != nil || got.State != tasks.Succeeded || string(got.Output) != "1" {
		t.Fatalf("Get after finish: %+v, %v", got, err)
	}
	if _, err := e.svc.Get(context.Background(), "nosuchtask"); !errors.Is(err, tasks.ErrNotFound) || errkind.Code(err) != errkind.CodeTaskNotFound {
		t.Fatalf("Get unknown: %v (code %s)", err, errkind.Code(err))
	}
	st := e.svc.Stats()
	if st.Submitted != 1 || st.Outcomes[tasks.Succeeded] != 1 || st.Commits == 0 || st.CommitWrites < st.Commits || st.Running+st.Queued+st.InFlight != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	spec := tasks.Spec{Module: "tt", Input: []byte("cidem"), IdempotencyKey: "k-1"}
	var wg sync.WaitGroup
	ids := make([]string, 8)
	created := make([]bool, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, c, err := e.svc.Submit(context.Background(), spec)
			if err != nil {
				t.Error(err)
			}
			ids[i], created[i] = r.ID, c
		}()
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("ids differ: %v", ids)
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d submissions created a task, want 1", n)
	}
	e.wait(ids[0])
	r, c, err := e.svc.Submit(context.Background(), spec)
	if err != nil || c || r.ID != ids[0] || r.State != tasks.Succeeded {
		t.Fatalf("resubmit after finish: %s %v %s %v", r.ID, c, r.State, err)
	}
	if got := e.kvCount("idem"); got != 1 {
		t.Fatalf("ran %d times", got)
	}
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	cases := []struct {
		name     string
		spec     tasks.Spec
		state    tasks.State
		code     string
		attempts int
	}{
		{"trap retried until dead", tasks.Spec{Input: []byte("t"), MaxRetries: ptr(2)}, tasks.Dead, errkind.CodeTrap, 3},
		{"task error retried", tasks.Spec{Input: []byte("e"), MaxRetries: ptr(1)}, tasks.Dead, errkind.CodeTaskError, 2},
		{"no retries", tasks.Spec{Input: []byte("t"), MaxRetries: ptr(0)}, tasks.Dead, errkind.CodeTrap, 1},
		{"fuel not retried", tasks.Spec{Input: []byte("l"), Fuel: 100_000, MaxRetries: ptr(3)}, tasks.Failed, errkind.CodeFuelExhausted, 1},
		{"timeout retried", tasks.Spec{Input: []byte("l"), TimeoutMs: 20, MaxRetries: ptr(1)}, tasks.Dead, errkind.CodeTimeout, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Module = "tt"
			r := e.wait(e.submit(c.spec).ID)
			if r.State != c.state || r.ErrorCode != c.code || r.Attempts != c.attempts {
				t.Fatalf("state %s code %s attempts %d, want %s %s %d (%s)", r.State, r.ErrorCode, r.Attempts,
					c.state, c.code, c.attempts, r.ErrorMessage)
			}
			if r.FinishedAt.IsZero() || r.ExpiresAt.Sub(r.FinishedAt) != tasks.DefaultRetention {
				t.Fatalf("finished %v expires %v", r.FinishedAt, r.ExpiresAt)
			}
		})
	}
}

func TestCheckpointResumesRetry(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	r := e.wait(e.submit(tasks.Spec{Module: "tt", Input: []byte("r"), MaxRetries: ptr(1)}).ID)
	if r.State != tasks.Succeeded || string(r.Output) != "step1" || r.Attempts != 2 {
		t.Fatalf("state %s output %q attempts %d (%s)", r.State, r.Output, r.Attempts, r.ErrorMessage)
	}
	if r.Progress != [2]int64{2, 2} || r.CheckpointBytes != 5 {
		t.Fatalf("progress %v checkpoint %d", r.Progress, r.CheckpointBytes)
	}
	// The kv write made before the checkpoint was committed with it; the
	// one made after it died with the failed attempt.
	if v, found, _ := e.db.Get("tt", "resume"); !found || string(v) != "1" {
		t.Fatalf("kv resume = %q, %v", v, found)
	}
	if v, found, _ := e.db.Get("tt", "lost"); found {
		t.Fatalf("kv lost = %q: a failed attempt's write after its checkpoint was kept", v)
	}
}

func TestOneCountPerSuccess(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	for i := range 20 {
		e.wait(e.submit(tasks.Spec{Module: "tt", Input: []byte(fmt.Sprintf("cn%d", i%4))}).ID)
	}
	for i := range 4 {
		if n := e.kvCount(fmt.Sprintf("n%d", i)); n != 5 {
			t.Fatalf("key n%d counted %d, want 5", i, n)
		}
	}
}

func TestDelayedTask(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	r := e.submit(tasks.Spec{Module: "tt", Input: []byte("cdelay"), DelayMs: 50})
	if r.State != tasks.Scheduled || r.RunAt.Sub(r.SubmittedAt) != 50*time.Millisecond {
		t.Fatalf("submitted: %s run_at %v submitted %v", r.State, r.RunAt, r.SubmittedAt)
	}
	done := e.wait(r.ID)
	if done.State != tasks.Succeeded || done.StartedAt.Before(done.RunAt) {
		t.Fatalf("state %s started %v run_at %v", done.State, done.StartedAt, done.RunAt)
	}
	at := time.Now().Add(30 * time.Millisecond)
	r2 := e.wait(e.submit(tasks.Spec{Module: "tt", Input: []byte("cdelay"), RunAt: &at}).ID)
	if r2.StartedAt.Before(at) || string(r2.Output) != "2" {
		t.Fatalf("run_at task started %v, due %v, output %q", r2.StartedAt, at, r2.Output)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	ctx := context.Background()
	sched := e.submit(tasks.Spec{Module: "tt", Input: []byte("cx"), DelayMs: 60_000})
	r, err := e.svc.Cancel(ctx, sched.ID)
	if err != nil || r.State != tasks.Canceled {
		t.Fatalf("cancel scheduled: %s %v", r.State, err)
	}
	running := e.submit(tasks.Spec{Module: "tt", Input: []byte("l"), Fuel: 1e12, TimeoutMs: 60_000})
	e.awaitStarted()
	if _, err := e.svc.Cancel(ctx, running.ID); err != nil {
		t.Fatal(err)
	}
	r = e.wait(running.ID)
	if r.State != tasks.Canceled || r.ErrorCode != errkind.CodeCanceled || r.Attempts != 1 {
		t.Fatalf("canceled running task: %s %s attempts %d", r.State, r.ErrorCode, r.Attempts)
	}
	if _, err := e.svc.Cancel(ctx, running.ID); !errors.Is(err, tasks.ErrConflict) {
		t.Fatalf("cancel finished task: %v", err)
	}
	if _, err := e.svc.Cancel(ctx, "nosuch"); !errors.Is(err, tasks.ErrNotFound) {
		t.Fatalf("cancel unknown task: %v", err)
	}
	if e.kvCount("x") != 0 {
		t.Fatal("canceled task ran")
	}
}

func TestRetryByHand(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	ctx := context.Background()
	r := e.wait(e.submit(tasks.Spec{Module: "tt", Input: []byte("t"), MaxRetries: ptr(1)}).ID)
	if r.State != tasks.Dead || r.Attempts != 2 {
		t.Fatalf("%s after %d attempts", r.State, r.Attempts)
	}
	again, err := e.svc.Retry(ctx, r.ID)
	if err != nil || again.State != tasks.Queued {
		t.Fatalf("retry: %s %v", again.State, err)
	}
	r = e.wait(r.ID)
	if r.State != tasks.Dead || r.Attempts != 4 {
		t.Fatalf("after retry: %s after %d attempts", r.State, r.Attempts)
	}
	ok := e.wait(e.submit(tasks.Spec{Module: "tt", Input: []byte("cz")}).ID)
	if _, err := e.svc.Retry(ctx, ok.ID); !errors.Is(err, tasks.ErrConflict) {
		t.Fatalf("retry succeeded task: %v", err)
	}
}

func TestShutdownInterruptsAndRecoveryRequeues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := open(t, dir, tasks.Config{})
	ctx := context.Background()
	long := e.submit(tasks.Spec{Module: "tt", Input: []byte("l"), Fuel: 1e12, TimeoutMs: 300, MaxRetries: ptr(1)})
	later := e.submit(tasks.Spec{Module: "tt", Input: []byte("clater"), DelayMs: 200})
	e.awaitStarted()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	e.stop(canceled) // interrupt the running attempt, as a crash would

	e = open(t, dir, tasks.Config{})
	l := e.wait(long.ID)
	if l.State != tasks.Dead || l.ErrorCode != errkind.CodeTimeout || l.Attempts != 2 {
		t.Fatalf("interrupted task: %s %s attempts %d", l.State, l.ErrorCode, l.Attempts)
	}
	r := e.wait(later.ID)
	if r.State != tasks.Succeeded || r.StartedAt.Before(r.RunAt) {
		t.Fatalf("delayed task across restart: %s started %v due %v", r.State, r.StartedAt, r.RunAt)
	}
}

func TestRecoveryOfStoredStates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := open(t, dir, tasks.Config{})
	e.stop(context.Background())

	// Write the state a crash leaves: one task running (attempt 1 under
	// way), one queued, one scheduled, straight into the store.
	db := reopenStore(t, dir)
	now := time.Now()
	mk := func(id string, st tasks.State, attempts int, input string) tasks.Record {
		return tasks.Record{ID: id, Module: "tt", Version: 1, State: st, Priority: 5, Category: "default",
			MaxRetries: 3, Attempts: attempts, SubmittedAt: now, Input: []byte(input), RunAt: now.Add(20 * time.Millisecond)}
	}
	recs := []tasks.Record{mk("00000000000000000000000000000001", tasks.Running, 1, "crun"),
		mk("00000000000000000000000000000002", tasks.Queued, 0, "cqueued"),
		mk("00000000000000000000000000000003", tasks.Scheduled, 0, "csched")}
	var ws []tasks.Write
	for i := range recs {
		ws = append(ws, tasks.Write{Rec: &recs[i]})
	}
	if err := db.CommitTasks(ws); err != nil {
		t.Fatal(err)
	}
	db.Close()

	e = open(t, dir, tasks.Config{})
	want := map[string]int{"crun": 2, "cqueued": 1, "csched": 1}
	for _, r := range recs {
		got := e.wait(r.ID)
		if got.State != tasks.Succeeded || got.Attempts != want[string(r.Input)] {
			t.Fatalf("%s: %s attempts %d, want succeeded after %d", r.Input, got.State, got.Attempts, want[string(r.Input)])
		}
	}
	for _, k := range []string{"run", "queued", "sched"} {
		if e.kvCount(k) != 1 {
			t.Fatalf("%s counted %d", k, e.kvCount(k))
		}
	}
}

func TestListPagesAndFilters(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	ctx := context.Background()
	var ids []string
	for i := range 25 {
		tag := "even"
		if i%2 == 1 {
			tag = "odd"
		}
		ids = append(ids, e.submit(tasks.Spec{Module: "tt", Input: []byte("cl"), Tags: []string{tag}}).ID)
	}
	far := e.submit(tasks.Spec{Module: "tt", Input: []byte("cl"), DelayMs: 60_000, Tags: []string{"later"}})
	for _, id := range ids {
		e.wait(id)
	}
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		recs, next, err := e.svc.List(ctx, tasks.Filter{State: tasks.Succeeded, Cursor: cursor}, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.State != tasks.Succeeded || r.Output != nil || r.Input != nil {
				t.Fatalf("listed %+v", r)
			}
			seen = append(seen, r.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 25 {
		t.Fatalf("listed %d succeeded tasks, want 25", len(seen))
	}
	if !slices.IsSortedFunc(seen, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Fatalf("pages not newest first: %v", seen)
	}
	slices.Sort(seen)
	slices.Sort(ids)
	if !slices.Equal(seen, ids) {
		t.Fatalf("listed %v, submitted %v", seen, ids)
	}
	odd, _, err := e.svc.List(ctx, tasks.Filter{Tag: "odd"}, 100)
	if err != nil || len(odd) != 12 {
		t.Fatalf("tag odd: %d, %v", len(odd), err)
	}
	sched, _, _ := e.svc.List(ctx, tasks.Filter{State: tasks.Scheduled, Module: "tt"}, 100)
	if len(sched) != 1 || sched[0].ID != far.ID {
		t.Fatalf("scheduled: %+v", sched)
	}
	if _, _, err := e.svc.List(ctx, tasks.Filter{State: "bogus"}, 10); errkind.Code(err) != errkind.CodeInvalidRequest {
		t.Fatalf("bad state filter: %v", err)
	}
}

func TestGarbageCollection(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{Retention: time.Hour})
	ctx := context.Background()
	r := e.wait(e.submit(tasks.Spec{Module: "tt", Input: []byte("cgc"), IdempotencyKey: "gc"}).ID)
	if n, err := e.svc.CollectGarbage(time.Now()); err != nil || n != 0 {
		t.Fatalf("collected %d before expiry (%v)", n, err)
	}
	if n, err := e.svc.CollectGarbage(time.Now().Add(2 * time.Hour)); err != nil || n != 1 {
		t.Fatalf("collected %d after expiry (%v)", n, err)
	}
	if _, err := e.svc.Get(ctx, r.ID); !errors.Is(err, tasks.ErrNotFound) {
		t.Fatalf("Get collected task: %v", err)
	}
	again, created, err := e.svc.Submit(ctx, tasks.Spec{Module: "tt", Input: []byte("cgc"), IdempotencyKey: "gc"})
	if err != nil || !created || again.ID == r.ID {
		t.Fatalf("key reused after collection: created %v id %s err %v", created, again.ID, err)
	}
}

func TestDefaultMaxRetries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ cfg, want int }{{0, tasks.DefaultMaxRetries}, {-1, 0}, {7, 7}} {
		e := open(t, t.TempDir(), tasks.Config{DefaultMaxRetries: c.cfg})
		if r := e.submit(tasks.Spec{Module: "tt", Input: []byte("cr"), DelayMs: 60_000}); r.MaxRetries != c.want {
			t.Errorf("DefaultMaxRetries %d: task max_retries %d, want %d", c.cfg, r.MaxRetries, c.want)
		}
		e.stop(context.Background())
	}
}

func TestReadyQueueByPriority(t *testing.T) {
	t.Parallel()
	// One in-flight slot: while a task holds it, the waiting ones are
	// ordered by priority, then by arrival.
	e := open(t, t.TempDir(), tasks.Config{MaxInFlight: 1})
	e.submit(tasks.Spec{Module: "tt", Input: []byte("l"), TimeoutMs: 300, MaxRetries: ptr(0)})
	e.awaitStarted()
	var ids []string
	for i, p := range []int{1, 9, 5, 9, 1} {
		ids = append(ids, e.submit(tasks.Spec{Module: "tt", Input: []byte(fmt.Sprintf("cprio%d", i)), Priority: ptr(p)}).ID)
	}
	want := []int{1, 3, 2, 0, 4} // priority 9 (first come first), then 5, then 1
	var prev time.Time
	for _, i := range want {
		r := e.wait(ids[i])
		if r.State != tasks.Succeeded || r.StartedAt.Before(prev) {
			t.Fatalf("task %d (priority %d) started %v, before the previous one at %v", i, r.Priority, r.StartedAt, prev)
		}
		prev = r.StartedAt
	}
}

// TestSubmitMany: a list is answered element by element in order (new
// tasks, the first of a key repeated in the list, an existing task of a
// key, invalid specs), its new tasks are durable when it returns, and
// each runs once.
func TestSubmitMany(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	old := e.wait(e.submit(tasks.Spec{Module: "tt", Input: []byte("cm-old"), IdempotencyKey: "old"}).ID)
	specs := []tasks.Spec{
		{Module: "tt", Input: []byte("cm-a")},
		{Module: "tt", Input: []byte("cm-b"), IdempotencyKey: "b"},
		{Module: "nosuch"},
		{Module: "tt", Input: []byte("cm-b"), IdempotencyKey: "b"}, // the list's own key again
		{Module: "tt", Input: []byte("cm-old"), IdempotencyKey: "old"},
		{Module: "tt", Priority: ptr(12)},
		{Module: "tt", Input: []byte("cm-c"), DelayMs: 3_600_000},
	}
	out := e.svc.SubmitMany(context.Background(), specs)
	if len(out) != len(specs) {
		t.Fatalf("%d answers for %d specs", len(out), len(specs))
	}
	for _, i := range []int{0, 1, 6} {
		if o := out[i]; o.Err != nil || !o.Created || o.Record.ID == "" {
			t.Fatalf("spec %d: %+v", i, o)
		}
		if _, found, err := e.db.Task(out[i].Record.ID); !found || err != nil {
			t.Fatalf("spec %d's task not durable on return: %v %v", i, found, err)
		}
	}
	if out[6].Record.State != tasks.Scheduled {
		t.Errorf("delayed spec: %s", out[6].Record.State)
	}
	if o := out[3]; o.Err != nil || o.Created || o.Record.ID != out[1].Record.ID {
		t.Errorf("repeated key: %+v, want task %s", o, out[1].Record.ID)
	}
	if o := out[4]; o.Err != nil || o.Created || o.Record.ID != old.ID || o.Record.State != tasks.Succeeded {
		t.Errorf("existing key: %+v, want task %s", o, old.ID)
	}
	if o := out[2]; !errors.Is(o.Err, modules.ErrNotFound) || o.Created {
		t.Errorf("unknown module: %+v", o)
	}
	if o := out[5]; o.Err == nil || errkind.Code(o.Err) != errkind.CodeInvalidRequest {
		t.Errorf("bad priority: %+v", o)
	}
	for _, i := range []int{0, 1} {
		if r := e.wait(out[i].Record.ID); r.State != tasks.Succeeded {
			t.Errorf("task %d: %s", i, r.State)
		}
	}
	if n := e.kvCount("m-b"); n != 1 {
		t.Errorf("key b ran %d times, want 1", n)
	}
}

// TestSubmitManyCrossedKeys: lists naming each other's idempotency keys,
// submitted at once, neither wait for each other forever nor create a key's
// task twice.
func TestSubmitManyCrossedKeys(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	keys := []string{"x", "y", "z"}
	spec := func(k string) tasks.Spec {
		return tasks.Spec{Module: "tt", Input: []byte("cx-" + k), IdempotencyKey: k, DelayMs: 3_600_000}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ids := map[string]map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for round := range 40 {
		for _, order := range [][]string{keys, {"z", "y", "x"}, {"y", "x", "z"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var specs []tasks.Spec
				for _, k := range order {
					specs = append(specs, spec(fmt.Sprint(k, round)))
				}
				for i, o := range e.svc.SubmitMany(ctx, specs) {
					if o.Err != nil {
						t.Errorf("%s: %v", specs[i].IdempotencyKey, o.Err)
						continue
					}
					mu.Lock()
					k := specs[i].IdempotencyKey
					if ids[k] == nil {
						ids[k] = map[string]bool{}
					}
					ids[k][o.Record.ID] = true
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("lists with crossed keys did not all finish")
	}
	for k, set := range ids {
		if len(set) != 1 {
			t.Errorf("key %s names %d tasks", k, len(set))
		}
	}
	if len(ids) != 3*40 {
		t.Errorf("%d keys answered, want %d", len(ids), 3*40)
	}
}
