package tasks_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/tasks"
)

const pureEcho = "../../server/testdata/pure_echo.wasm"

// TestCacheTTL runs tasks of a pure module with cache_ttl_ms: the second
// task with the same input is answered from the cache without running the
// guest; another input runs it again.
func TestCacheTTL(t *testing.T) {
	c, err := cache.New(cache.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := open(t, t.TempDir(), tasks.Config{Cache: c})
	e.put("pe", pureEcho)
	spec := tasks.Spec{Module: "pe", Input: []byte("hello"), CacheTTLMs: 60_000, Tags: []string{"greeting"}}
	first := e.wait(e.submit(spec).ID)
	if first.State != tasks.Succeeded || first.Cache != tasks.CacheMiss || string(first.Output) != "hello" || first.FuelUsed <= 0 {
		t.Fatalf("first task: %s cache %q output %q fuel %d (%s)", first.State, first.Cache, first.Output, first.FuelUsed, first.ErrorMessage)
	}
	second := e.wait(e.submit(spec).ID)
	if second.State != tasks.Succeeded || second.Cache != tasks.CacheHit || string(second.Output) != "hello" || second.FuelUsed != first.FuelUsed {
		t.Fatalf("second task: %s cache %q output %q fuel %d (first %d)", second.State, second.Cache, second.Output, second.FuelUsed, first.FuelUsed)
	}
	if n := e.runs.Load(); n != 1 {
		t.Fatalf("the guest ran %d times, want 1", n)
	}
	if st := c.Stats(); st.Hits != 1 || st.Misses != 1 {
		t.Fatalf("cache stats: %+v", st)
	}
	other := e.wait(e.submit(tasks.Spec{Module: "pe", Input: []byte("other"), CacheTTLMs: 60_000}).ID)
	if other.Cache != tasks.CacheMiss || string(other.Output) != "other" || e.runs.Load() != 2 {
		t.Fatalf("another input: cache %q output %q runs %d", other.Cache, other.Output, e.runs.Load())
	}
	// Invalidation by the task's tag: the next identical task runs again.
	if n := c.Invalidate(cache.Selector{Tag: "greeting"}); n != 1 {
		t.Fatalf("invalidated %d, want 1", n)
	}
	again := e.wait(e.submit(spec).ID)
	if again.Cache != tasks.CacheMiss || e.runs.Load() != 3 {
		t.Fatalf("after invalidation: cache %q runs %d", again.Cache, e.runs.Load())
	}
}

// TestCacheTTLRefusedForImpureModule: a task of a module that is not pure
// asking for caching is refused at submission with the invoke path's
// error, and nothing is stored.
func TestCacheTTLRefusedForImpureModule(t *testing.T) {
	e := open(t, t.TempDir(), tasks.Config{})
	_, _, err := e.svc.Submit(context.Background(), tasks.Spec{Module: "tt", Input: []byte("cx"), CacheTTLMs: 1000})
	want := cache.CheckCacheable("tt", 1, false, false, false)
	if !errors.Is(err, cache.ErrNotCacheable) || errkind.Code(err) != errkind.CodeInvalidRequest || err.Error() != want.Error() {
		t.Fatalf("submit: %v (code %s), want %v", err, errkind.Code(err), want)
	}
	if recs, _, err := e.svc.List(context.Background(), tasks.Filter{}, 10); err != nil || len(recs) != 0 {
		t.Fatalf("stored after a refusal: %d records, %v", len(recs), err)
	}
	if _, _, err := e.svc.Submit(context.Background(), tasks.Spec{Module: "tt", Input: []byte("cx"), CacheTTLMs: cache.MaxTTL.Milliseconds() + 1}); errkind.Code(err) != errkind.CodeInvalidRequest {
		t.Fatalf("cache_ttl_ms past the maximum: %v", err)
	}
}

// TestCacheTTLWithoutCache: with no cache, a task asking for caching runs
// every time and says bypass.
func TestCacheTTLWithoutCache(t *testing.T) {
	e := open(t, t.TempDir(), tasks.Config{})
	e.put("pe", pureEcho)
	spec := tasks.Spec{Module: "pe", Input: []byte("hi"), CacheTTLMs: 60_000}
	for i := range 2 {
		r := e.wait(e.submit(spec).ID)
		if r.State != tasks.Succeeded || r.Cache != tasks.CacheBypass || string(r.Output) != "hi" {
			t.Fatalf("task %d: %s cache %q output %q", i, r.State, r.Cache, r.Output)
		}
	}
	if n := e.runs.Load(); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
}
