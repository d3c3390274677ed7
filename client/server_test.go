package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

// Wasm modules of the tests.
const (
	echoWasm     = "../examples/wat/echo.wasm"                // wasi-command: stdin to stdout
	taskTestWasm = "../internal/tasks/testdata/tasktest.wasm" // nexus-v1; the first input byte picks the mode
	pureEchoWasm = "../server/testdata/pure_echo.wasm"        // a pure echo, for the result cache
	exit3Wasm    = "../host/testdata/exit3.wasm"              // writes to stderr and exits 3
)

// testServer is the whole server as `nexus serve` wires it, in this
// process: a real bbolt file in a temporary directory, a wazero runtime,
// the registry, executor, task service, schedule manager and result cache,
// behind a real HTTP server on 127.0.0.1.
type testServer struct {
	URL  string
	srv  *server.Server
	stop func()
}

// startServer starts a testServer; edit, if not nil, adjusts the server's
// configuration.
func startServer(edit func(*server.Config)) (_ *testServer, err error) {
	ctx := context.Background()
	var closers []func()
	stop := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	dir, err := os.MkdirTemp("", "nexus-client-test-")
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { os.RemoveAll(dir) })
	db, err := store.Open(dir, 0)
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { db.Close() })
	hcfg := host.DefaultConfig()
	hcfg.CacheDir, hcfg.KV = filepath.Join(dir, "compiled"), db
	rt, err := host.New(ctx, hcfg)
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { rt.Close(ctx) })
	reg := modules.New(db, rt, modules.DefaultConfig())
	if err := reg.Load(ctx); err != nil {
		return nil, err
	}
	exec, err := executor.New(executor.DefaultConfig())
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { exec.Close(ctx) })
	rc, err := cache.New(cache.DefaultConfig())
	if err != nil {
		return nil, err
	}
	closers = append(closers, rc.Close)
	log := slog.New(slog.DiscardHandler)
	m := metrics.New(reg.Len)
	bs, err := bundle.Open(bundle.Config{Dir: filepath.Join(dir, "bundles")}, db)
	if err != nil {
		return nil, err
	}
	svc, err := tasks.New(db, db, &tasks.Runner{Registry: reg, Runtime: rt, Exec: exec, InFlight: m.InFlight}, tasks.Config{
		Logger: log, Cache: rc, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond, Bundles: bs,
	})
	if err != nil {
		return nil, err
	}
	if err := svc.Start(ctx); err != nil {
		return nil, err
	}
	closers = append(closers, func() { svc.Close(ctx) })
	mgr, err := schedule.New(db, submitter{svc}, schedule.Config{MinEvery: 10 * time.Millisecond, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := mgr.Start(); err != nil {
		return nil, err
	}
	closers = append(closers, mgr.Close)
	cfg := server.Config{Logger: log, Tasks: svc, Schedules: mgr, Cache: rc, Bundles: bs}
	if edit != nil {
		edit(&cfg)
	}
	srv := server.New(reg, rt, exec, m, cfg)
	srv.SetReady(true)
	hs := httptest.NewServer(srv.Handler())
	closers = append(closers, hs.Close)
	return &testServer{URL: hs.URL, srv: srv, stop: stop}, nil
}

// submitter submits a schedule's runs to the task service, as `nexus
// serve` does.
type submitter struct{ svc *tasks.Service }

func (s submitter) Submit(ctx context.Context, template json.RawMessage, key string, _ time.Time) (string, error) {
	spec, err := tasks.DecodeSpec(template)
	if err != nil {
		return "", err
	}
	spec.IdempotencyKey = key
	rec, _, err := s.svc.Submit(ctx, spec)
	return rec.ID, err
}

func (s submitter) Done(ctx context.Context, id string) (bool, error) {
	rec, err := s.svc.Get(ctx, id)
	if errors.Is(err, tasks.ErrNotFound) {
		return true, nil
	}
	return rec.State.Terminal(), err
}

func (s submitter) Wait(ctx context.Context, id string) error {
	_, err := s.svc.Wait(ctx, id)
	if errors.Is(err, tasks.ErrNotFound) {
		return nil
	}
	return err
}

// newServer starts a testServer for t and returns a strict client of it:
// every response it decodes must have no field the client lacks.
func newServer(t *testing.T, edit func(*server.Config)) (*testServer, *client.Client) {
	t.Helper()
	ts, err := startServer(edit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.stop)
	c, err := client.New(ts.URL, client.WithStrictDecoding())
	if err != nil {
		t.Fatal(err)
	}
	return ts, c
}

// exampleServer starts a testServer for an example and returns its URL and
// the function that stops it.
func exampleServer() (string, func()) {
	ts, err := startServer(nil)
	if err != nil {
		panic(err)
	}
	return ts.URL, ts.stop
}

// push uploads the module file as name.
func push(t *testing.T, c *client.Client, name, file string) *client.PushResult {
	t.Helper()
	wasm, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.PushModule(context.Background(), name, wasm, nil)
	if err != nil {
		t.Fatalf("push %s: %v", name, err)
	}
	return v
}

// apiError returns err as an *client.Error, failing t otherwise.
func apiError(t *testing.T, err error) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *client.Error", err, err)
	}
	return e
}

// must fails t on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
