package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/store"
)

// taskTable is the namespace of the test submitter's tasks in the store.
const taskTable = "schedule-test-tasks"

// submitter is a task system reduced to what the scheduler uses: Submit
// keeps key → task id in the real bbolt store (durable and idempotent like
// the task system's), Done answers from tasks the test finished.
type submitter struct {
	db *store.DB

	mu       sync.Mutex
	calls    []call          // every Submit, in order
	finished map[string]bool // task id → done
	allDone  bool            // every task is done as soon as submitted
	fail     []error         // errors returned by the next Submits
	// inMemory keeps key → task id in mem instead of the store, so that
	// benchmarks measure the scheduler, not the stand-in's fsyncs.
	inMemory bool
	mem      map[string]string
}

// call is one Submit.
type call struct {
	key     string
	due, at time.Time
	id      string
	created bool
}

func newSubmitter(db *store.DB) *submitter {
	return &submitter{db: db, finished: map[string]bool{}}
}

func (s *submitter) Submit(_ context.Context, template json.RawMessage, key string, due time.Time) (string, error) {
	at := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fail) > 0 {
		err := s.fail[0]
		s.fail = s.fail[1:]
		return "", err
	}
	var spec struct{ Module string }
	if err := json.Unmarshal(template, &spec); err != nil || spec.Module == "" {
		return "", fmt.Errorf("bad template %s", template)
	}
	c := call{key: key, due: due, at: at}
	id, ok, err := s.lookup(key)
	if err != nil {
		return "", err
	}
	if ok {
		c.id = id
	} else {
		c.id, c.created = fmt.Sprintf("task-%d", len(s.calls)), true
		if err := s.keep(key, c.id); err != nil {
			return "", err
		}
	}
	s.calls = append(s.calls, c)
	return c.id, nil
}

func (s *submitter) lookup(key string) (string, bool, error) {
	if s.inMemory {
		id, ok := s.mem[key]
		return id, ok, nil
	}
	id, ok, err := s.db.Get(taskTable, key)
	return string(id), ok, err
}

func (s *submitter) keep(key, id string) error {
	if s.inMemory {
		if s.mem == nil {
			s.mem = map[string]string{}
		}
		s.mem[key] = id
		return nil
	}
	return s.db.Set(taskTable, key, []byte(id), 1<<30)
}

func (s *submitter) Done(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allDone || s.finished[id], nil
}

// Wait implements schedule.Submitter. The stand-in checks Done every
// millisecond, so that tests may set allDone directly; the task system
// wakes its waiters instead.
func (s *submitter) Wait(ctx context.Context, id string) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		if done, _ := s.Done(ctx, id); done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// finish marks every task submitted so far as done.
func (s *submitter) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		s.finished[c.id] = true
	}
}

// created returns the Submits that created a task.
func (s *submitter) created() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []call
	for _, c := range s.calls {
		if c.created {
			out = append(out, c)
		}
	}
	return out
}

func (s *submitter) allCalls() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.calls...)
}

// env is a Manager on a real bbolt file.
type env struct {
	dir string
	db  *store.DB
	sub *submitter
	m   *schedule.Manager
	cfg schedule.Config
}

func testConfig() schedule.Config {
	return schedule.Config{
		MinEvery:     10 * time.Millisecond,
		RetryBackoff: 10 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func newEnv(t testing.TB, cfg schedule.Config) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), cfg: cfg}
	e.open(t)
	t.Cleanup(e.close)
	return e
}

// open opens the database and starts a Manager on it.
func (e *env) open(t testing.TB) {
	t.Helper()
	db, err := store.Open(e.dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	if e.sub == nil {
		e.sub = newSubmitter(db)
	}
	e.sub.db = db
	if e.m, err = schedule.New(db, e.sub, e.cfg); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Start(); err != nil {
		t.Fatal(err)
	}
}

// close stops the Manager and closes the database.
func (e *env) close() {
	if e.m != nil {
		e.m.Close()
		e.db.Close()
		e.m = nil
	}
}

// create creates a schedule or fails t.
func (e *env) create(t *testing.T, s schedule.Spec) schedule.Schedule {
	t.Helper()
	if s.Task == nil {
		s.Task = json.RawMessage(`{"module":"echo"}`)
	}
	got, err := e.m.Create(s)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// inBubble runs f in parallel with other tests, in a synctest bubble: time
// there is fake and moves only when every goroutine of the test waits, so
// due times come when the test's sleeps say, however loaded the machine.
func inBubble(t *testing.T, f func(t *testing.T)) {
	t.Parallel()
	synctest.Test(t, f)
}

// waitFor polls cond (every few ms, for up to 10 s) until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// runs returns a schedule's runs, oldest first.
func (e *env) runs(t *testing.T, name string) []schedule.Run {
	t.Helper()
	_, runs, err := e.m.Get(context.Background(), name, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
		runs[i], runs[j] = runs[j], runs[i]
	}
	return runs
}

var errTransient = errors.New("transient")
