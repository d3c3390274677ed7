package tasks_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/clock"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

// env is one process's worth of task system over a data directory: a real
// bbolt file, a real wazero runtime, registry and executor.
type env struct {
	dir  string
	db   *store.DB
	rt   *host.Runtime
	exec *executor.Executor
	svc  *tasks.Service
	reg  *modules.Registry
	t    testing.TB
	// runs counts the attempts that reached the host (got a worker token).
	runs atomic.Int64
	// started receives a value for each attempt that reaches the host, if
	// nobody waits for it yet and fewer than its capacity are pending.
	started chan struct{}
}

// open starts a task system over dir; the module "tt" (testdata/
// tasktest.wasm) is uploaded if missing. It is stopped when the test ends
// unless stopped before.
func open(t testing.TB, dir string, cfg tasks.Config) *env {
	t.Helper()
	return openWith(t, dir, cfg, executor.DefaultConfig())
}

// openWith is open with ecfg for the executor.
func openWith(t testing.TB, dir string, cfg tasks.Config, ecfg executor.Config) *env {
	t.Helper()
	e := &env{dir: dir, t: t, started: make(chan struct{}, 64)}
	var err error
	if e.db, err = store.Open(dir, time.Second); err != nil {
		t.Fatal(err)
	}
	hcfg := host.DefaultConfig()
	hcfg.KV = e.db
	hcfg.CacheDir = filepath.Join(dir, "compiled")
	if e.rt, err = host.New(context.Background(), hcfg); err != nil {
		t.Fatal(err)
	}
	reg := modules.New(e.db, e.rt, modules.DefaultConfig())
	if err := reg.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Resolve(context.Background(), "tt", 0); err != nil {
		wasm, err := os.ReadFile("testdata/tasktest.wasm")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := reg.Put(context.Background(), "tt", wasm); err != nil {
			t.Fatal(err)
		}
	}
	if e.exec, err = executor.New(ecfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 5*time.Millisecond
	}
	e.reg = reg
	runner := &tasks.Runner{Registry: reg, Runtime: e.rt, Exec: e.exec, InFlight: func(d int) {
		if d > 0 {
			e.runs.Add(1)
			select {
			case e.started <- struct{}{}:
			default:
			}
		}
	}}
	if e.svc, err = tasks.New(e.db, e.db, runner, cfg); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.stop(context.Background()) })
	return e
}

// stop shuts the system down the way `nexus serve` does; with a canceled
// ctx, running attempts are interrupted.
func (e *env) stop(ctx context.Context) {
	if e.db == nil {
		return
	}
	e.svc.Close(ctx)
	e.exec.Close(ctx)
	e.rt.Close(context.Background())
	if err := e.db.Check(); err != nil {
		e.t.Errorf("bbolt check: %v", err)
	}
	e.db.Close()
	e.db = nil
}

func ptr[T any](v T) *T { return &v }

// put uploads the module in file as name.
func (e *env) put(name, file string) {
	e.t.Helper()
	wasm, err := os.ReadFile(file)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.reg.Put(context.Background(), name, wasm); err != nil {
		e.t.Fatal(err)
	}
}

// submit submits spec and fails the test on error.
func (e *env) submit(spec tasks.Spec) tasks.Record {
	e.t.Helper()
	r, created, err := e.svc.Submit(context.Background(), spec)
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	if !created {
		e.t.Fatalf("submit: created false for a new task")
	}
	return r
}

// wait waits up to 20 s for id to be terminal.
func (e *env) wait(id string) tasks.Record {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := e.svc.Wait(ctx, id)
	if err != nil {
		e.t.Fatalf("wait %s: %v", id, err)
	}
	if !r.State.Terminal() {
		e.t.Fatalf("task %s still %s after 20 s", id, r.State)
	}
	return r
}

// kvCount reads the counter the guest keeps under key.
func (e *env) kvCount(key string) uint64 {
	e.t.Helper()
	v, found, err := e.db.Get("tt", key)
	if err != nil {
		e.t.Fatal(err)
	}
	if !found {
		return 0
	}
	if len(v) != 8 {
		e.t.Fatalf("kv %q is %d bytes", key, len(v))
	}
	var n uint64
	for i := 7; i >= 0; i-- {
		n = n<<8 | uint64(v[i])
	}
	return n
}

// awaitStarted waits up to 20 s for an attempt to reach the host: it holds
// a worker token and its record says running.
func (e *env) awaitStarted() {
	e.t.Helper()
	select {
	case <-e.started:
	case <-time.After(20 * time.Second):
		e.t.Fatal("no attempt started in 20 s")
	}
}

// newFakeClock returns a manual clock (internal/clock.Manual).
func newFakeClock() *clock.Manual { return clock.NewManual(time.Now()) }
