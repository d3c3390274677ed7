package tasks_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/tasks"
)

// seen is what a recording middleware saw of one attempt, after next.
type seen struct {
	where, module, digest, cache string
	version                      int
	ran                          bool
	fuel                         int64
	err                          error
}

// recorder is a middleware that records every attempt passing through it.
type recorder struct {
	where string
	mu    sync.Mutex
	got   []seen
}

func (r *recorder) Run(ctx context.Context, a *tasks.Attempt, next tasks.RunFunc) error {
	err := next(ctx, a)
	r.mu.Lock()
	r.got = append(r.got, seen{where: r.where, module: a.Resolved.Name, digest: a.Resolved.Digest, cache: a.Cache,
		version: a.Resolved.Version, ran: a.Ran, fuel: a.Result.FuelUsed, err: err})
	r.mu.Unlock()
	return err
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// invocations is a tasks.InvocationRecorder.
type invocations struct {
	mu  sync.Mutex
	got []string
}

func (m *invocations) Invocation(module, outcome string, _ time.Duration, _ int64) {
	m.mu.Lock()
	m.got = append(m.got, module+" "+outcome)
	m.mu.Unlock()
}

// TestRunnerChain runs attempts through one chain, outermost first:
// a recorder, the cache, metrics, another recorder. The outer recorder
// sees every attempt with its module resolved and how the cache answered;
// what is inside the cache sees only the runs.
func TestRunnerChain(t *testing.T) {
	c, err := cache.New(cache.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := open(t, t.TempDir(), tasks.Config{})
	e.put("pe", pureEcho)
	outer, inner, m := &recorder{where: "outer"}, &recorder{where: "inner"}, &invocations{}
	r := tasks.NewRunner(tasks.RunnerConfig{Registry: e.reg, Runtime: e.rt, Exec: e.exec},
		outer, tasks.Cache(c), tasks.Metrics(m), inner)
	if got, ok := r.Cache(); !ok || got != c {
		t.Fatalf("Cache() = %p, %v", got, ok)
	}
	run := func(module, input string, ttl time.Duration) (*tasks.Attempt, error) {
		a := &tasks.Attempt{ID: tasks.NewID(), Module: module, Request: host.Request{Input: []byte(input)}, CacheTTL: ttl}
		return a, r.Run(context.Background(), a)
	}
	miss, err := run("pe", "x", time.Minute)
	if err != nil || !miss.Ran || miss.Cache != tasks.CacheMiss || string(miss.Result.Output) != "x" || len(miss.CacheKey) != 64 {
		t.Fatalf("first run: %v ran %v cache %q output %q key %q", err, miss.Ran, miss.Cache, miss.Result.Output, miss.CacheKey)
	}
	hit, err := run("pe", "x", time.Minute)
	if err != nil || hit.Ran || hit.Cache != tasks.CacheHit || string(hit.Result.Output) != "x" ||
		hit.Result.FuelUsed != miss.Result.FuelUsed || hit.CacheKey != miss.CacheKey {
		t.Fatalf("second run: %v ran %v cache %q output %q fuel %d", err, hit.Ran, hit.Cache, hit.Result.Output, hit.Result.FuelUsed)
	}
	if _, err := run("pe", "y", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := run("tt", "x", time.Minute); !errors.Is(err, cache.ErrNotCacheable) {
		t.Fatalf("impure module with a ttl: %v", err)
	}
	if _, err := run("nope", "x", 0); err == nil {
		t.Fatal("unknown module ran")
	}

	v := miss.Resolved
	if v.Name != "pe" || v.Version != 1 || v.Digest == "" {
		t.Fatalf("resolved %+v", v)
	}
	fuel := miss.Result.FuelUsed
	want := []seen{
		{"outer", "pe", v.Digest, tasks.CacheMiss, 1, true, fuel, nil},
		{"outer", "pe", v.Digest, tasks.CacheHit, 1, false, fuel, nil},
		{"outer", "pe", v.Digest, "", 1, true, fuel, nil},
	}
	got := outer.all()
	if len(got) != 4 || !slices.Equal(got[:3], want) || got[3].module != "tt" || got[3].ran || got[3].err == nil {
		t.Fatalf("outer saw\n%+v\nwant\n%+v and the refused tt", got, want)
	}
	if got := inner.all(); len(got) != 2 || got[0].cache != "" || !got[0].ran || !got[1].ran {
		t.Fatalf("inner saw %+v; want the two runs, before the cache answered", got)
	}
	if !slices.Equal(m.got, []string{"pe ok", "pe ok"}) {
		t.Fatalf("invocations %q", m.got)
	}
}

// TestRunnerShared: the task service and direct runs share one chain
// (its cache and its metrics), and Config.Cache is not needed.
func TestRunnerShared(t *testing.T) {
	c, err := cache.New(cache.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := open(t, t.TempDir(), tasks.Config{})
	e.put("pe", pureEcho)
	m := &invocations{}
	r := tasks.NewRunner(tasks.RunnerConfig{Registry: e.reg, Runtime: e.rt, Exec: e.exec}, tasks.Cache(c), tasks.Metrics(m))
	svc, err := tasks.New(e.db, e.db, r, tasks.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	rec, _, err := svc.Submit(context.Background(), tasks.Spec{Module: "pe", Input: []byte("s"), CacheTTLMs: 60_000})
	if err != nil {
		t.Fatal(err)
	}
	if rec, err = svc.Wait(context.Background(), rec.ID); err != nil || rec.Cache != tasks.CacheMiss {
		t.Fatalf("task: %v cache %q", err, rec.Cache)
	}
	a := &tasks.Attempt{ID: tasks.NewID(), Module: "pe", Sync: true, Request: host.Request{Input: []byte("s")}, CacheTTL: time.Minute}
	if err := r.Run(context.Background(), a); err != nil || a.Cache != tasks.CacheHit || string(a.Result.Output) != "s" {
		t.Fatalf("invoke after the task: %v cache %q output %q", err, a.Cache, a.Result.Output)
	}
	if !slices.Equal(m.got, []string{"pe ok"}) {
		t.Fatalf("invocations %q", m.got)
	}
}
