package server_test

import (
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/server"
)

// startCached starts a server over a real data directory with a result
// cache of maxBytes (0: the default).
func startCached(t *testing.T, maxBytes int64) (*instance, *cache.Cache) {
	t.Helper()
	c, err := cache.New(cache.Config{MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	in := startWith(t, t.TempDir(), server.Config{Cache: c}, executor.DefaultConfig())
	t.Cleanup(c.Close) // after the server stops (cleanups run last first)
	return in, c
}

// invoke posts input to module's invoke with the query q.
func invoke(t *testing.T, base, module, q string, input []byte) (*http.Response, []byte) {
	t.Helper()
	return do(t, http.MethodPost, base+"/v1/modules/"+module+"/invoke?"+q, "", input)
}

// expectCache invokes and checks the status, the X-Nexus-Cache header and
// the body; it returns the response.
func expectCache(t *testing.T, base, module, q, input, want, body string) *http.Response {
	t.Helper()
	resp, out := invoke(t, base, module, q, []byte(input))
	if resp.StatusCode != http.StatusOK || resp.Header.Get(server.HeaderCache) != want || string(out) != body {
		t.Fatalf("invoke %s?%s %q: %d, X-Nexus-Cache %q, body %q; want 200, %q, %q", module, q, input,
			resp.StatusCode, resp.Header.Get(server.HeaderCache), out, want, body)
	}
	return resp
}

// metric returns the value of the sample whose line starts with series,
// or -1 if /metrics has none.
func metric(t *testing.T, base, series string) float64 {
	t.Helper()
	_, data := do(t, http.MethodGet, base+"/metrics", "", nil)
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return -1
}

// runs is how many times module's tasks ran successfully, from /metrics.
func runs(t *testing.T, base, module string) float64 {
	t.Helper()
	return max(metric(t, base, `nexus_invocations_total{module="`+module+`",outcome="ok"}`), 0)
}

func stats(t *testing.T, base string) cache.Stats {
	t.Helper()
	resp, data := do(t, http.MethodGet, base+"/v1/cache/stats", "", nil)
	var s cache.Stats
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &s) != nil {
		t.Fatalf("stats: %d %s", resp.StatusCode, data)
	}
	return s
}

func invalidate(t *testing.T, base, q string) int {
	t.Helper()
	resp, data := do(t, http.MethodDelete, base+"/v1/cache?"+q, "", nil)
	var body struct{ Invalidated int }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &body) != nil {
		t.Fatalf("DELETE /v1/cache?%s: %d %s", q, resp.StatusCode, data)
	}
	return body.Invalidated
}

func TestCacheHitMissBypass(t *testing.T) {
	in, _ := startCached(t, 0)
	upload(t, in.URL, "pecho", readFile(t, "testdata/pure_echo.wasm"))

	expectCache(t, in.URL, "pecho", "", "hello", server.CacheBypass, "hello")
	miss := expectCache(t, in.URL, "pecho", "cache_ttl=1m", "hello", server.CacheMiss, "hello")
	hit := expectCache(t, in.URL, "pecho", "cache_ttl=90000", "hello", server.CacheHit, "hello")
	if k := miss.Header.Get(server.HeaderCacheKey); len(k) != 64 || hit.Header.Get(server.HeaderCacheKey) != k {
		t.Fatalf("cache keys %q and %q: want the same 64 hex digits", k, hit.Header.Get(server.HeaderCacheKey))
	}
	if f := miss.Header.Get(server.HeaderFuelUsed); f == "" || hit.Header.Get(server.HeaderFuelUsed) != f {
		t.Fatalf("fuel used: miss %q, hit %q", f, hit.Header.Get(server.HeaderFuelUsed))
	}
	if hit.Header.Get(server.HeaderTaskID) == "" || hit.Header.Get(server.HeaderTaskID) == miss.Header.Get(server.HeaderTaskID) {
		t.Fatal("a hit lacks its own task id")
	}
	if got := runs(t, in.URL, "pecho"); got != 2 {
		t.Fatalf("the task ran %v times for a bypass, a miss and a hit; want 2", got)
	}
	// Everything the result depends on is in the key.
	for _, q := range []string{"cache_ttl=1m&config=greeting=hi", "cache_ttl=1m&fuel=1e9", "cache_ttl=1m&memory=1MiB"} {
		expectCache(t, in.URL, "pecho", q, "hello", server.CacheMiss, "hello")
		expectCache(t, in.URL, "pecho", q, "hello", server.CacheHit, "hello")
	}
	expectCache(t, in.URL, "pecho", "cache_ttl=1m", "hello!", server.CacheMiss, "hello!")
	// What does not change the result does not change the key.
	expectCache(t, in.URL, "pecho", "cache_ttl=5s&timeout=3s&priority=9", "hello", server.CacheHit, "hello")

	for _, q := range []string{"cache_ttl=0", "cache_ttl=-1s", "cache_ttl=soon", "cache_ttl=721h", "tag=x", "cache_ttl=1m&tag=a%20b"} {
		resp, data := invoke(t, in.URL, "pecho", q, nil)
		if resp.StatusCode != http.StatusBadRequest || errorCode(t, data) != "invalid_request" {
			t.Errorf("%s: %d %s; want 400 invalid_request", q, resp.StatusCode, data)
		}
	}
}

func TestCacheImpure(t *testing.T) {
	in, _ := startCached(t, 0)
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	upload(t, in.URL, "pecho", readFile(t, "testdata/pure_echo.wasm"))
	for _, tc := range []struct{ module, q, message string }{
		{"echo", "cache_ttl=1m", `module "echo" version 1 is not declared pure`},
		{"pecho", "cache_ttl=1m&grant=clock", "real clock or a random source"},
		{"pecho", "cache_ttl=1m&grant=random", "real clock or a random source"},
	} {
		resp, data := invoke(t, in.URL, tc.module, tc.q, []byte("x"))
		var eb server.ErrorBody
		json.Unmarshal(data, &eb)
		if resp.StatusCode != http.StatusBadRequest || eb.Error.Code != "invalid_request" || !strings.Contains(eb.Error.Message, tc.message) {
			t.Errorf("%s?%s: %d %s; want 400 invalid_request saying %q", tc.module, tc.q, resp.StatusCode, data, tc.message)
		}
	}
	if got := runs(t, in.URL, "echo") + runs(t, in.URL, "pecho"); got != 0 {
		t.Fatalf("refused requests ran %v tasks", got)
	}
	// Without cache_ttl the impure module runs as always.
	expectCache(t, in.URL, "echo", "", "x", server.CacheBypass, "x")
}

func TestCacheInvalidation(t *testing.T) {
	in, _ := startCached(t, 0)
	upload(t, in.URL, "pecho", readFile(t, "testdata/pure_echo.wasm"))
	upload(t, in.URL, "other", readFile(t, "testdata/pure_echo.wasm"))
	fill := func() (keyB string) {
		expectCache(t, in.URL, "pecho", "cache_ttl=1h&tag=red", "a", server.CacheMiss, "a")
		resp := expectCache(t, in.URL, "pecho", "cache_ttl=1h&tag=blue&tag=red", "b", server.CacheMiss, "b")
		expectCache(t, in.URL, "other", "cache_ttl=1h&tag=blue", "c", server.CacheMiss, "c")
		return resp.Header.Get(server.HeaderCacheKey)
	}
	keyB := fill()
	if n := invalidate(t, in.URL, "key="+keyB); n != 1 {
		t.Fatalf("by key: %d invalidated, want 1", n)
	}
	expectCache(t, in.URL, "pecho", "cache_ttl=1h", "a", server.CacheHit, "a")
	expectCache(t, in.URL, "pecho", "cache_ttl=1h&tag=blue&tag=red", "b", server.CacheMiss, "b")
	if n := invalidate(t, in.URL, "tag=blue"); n != 2 {
		t.Fatalf("by tag: %d invalidated, want 2", n)
	}
	expectCache(t, in.URL, "pecho", "cache_ttl=1h", "a", server.CacheHit, "a")
	expectCache(t, in.URL, "other", "cache_ttl=1h", "c", server.CacheMiss, "c")
	if n := invalidate(t, in.URL, "module=pecho"); n != 1 {
		t.Fatalf("by module: %d invalidated, want 1", n)
	}
	expectCache(t, in.URL, "pecho", "cache_ttl=1h", "a", server.CacheMiss, "a")
	if n := invalidate(t, in.URL, "module=nothing"); n != 0 {
		t.Fatalf("unknown module: %d invalidated", n)
	}

	// A new version invalidates every entry of the module, all versions.
	invalidate(t, in.URL, "module=pecho")
	invalidate(t, in.URL, "module=other")
	fill()
	resp, v2 := upload(t, in.URL, "pecho", readFile(t, "testdata/pure_echo_v2.wasm"))
	if resp.StatusCode != http.StatusCreated || v2.Version != 2 {
		t.Fatalf("upload v2: %d %+v", resp.StatusCode, v2)
	}
	if s := stats(t, in.URL); s.Entries != 1 {
		t.Fatalf("after uploading a new version: %d entries, want only the other module's", s.Entries)
	}
	expectCache(t, in.URL, "pecho", "cache_ttl=1h&version=1", "a", server.CacheMiss, "a")
	expectCache(t, in.URL, "pecho", "cache_ttl=1h", "a", server.CacheMiss, "v2:a")
	expectCache(t, in.URL, "pecho", "cache_ttl=1h", "a", server.CacheHit, "v2:a")
	// Uploading bytes the module already holds changes nothing.
	upload(t, in.URL, "pecho", readFile(t, "testdata/pure_echo_v2.wasm"))
	expectCache(t, in.URL, "pecho", "cache_ttl=1h", "a", server.CacheHit, "v2:a")
	// Deleting the module invalidates its entries.
	if resp, _ := do(t, http.MethodDelete, in.URL+"/v1/modules/pecho", "", nil); resp.StatusCode >= 300 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if s := stats(t, in.URL); s.Entries != 1 {
		t.Fatalf("after deleting the module: %d entries, want 1", s.Entries)
	}
	upload(t, in.URL, "pecho", readFile(t, "testdata/pure_echo.wasm"))
	expectCache(t, in.URL, "pecho", "cache_ttl=1h", "a", server.CacheMiss, "a")

	for _, q := range []string{"", "key=xyz", "module=Bad%20Name", "tag=a%20b"} {
		resp, data := do(t, http.MethodDelete, in.URL+"/v1/cache?"+q, "", nil)
		if resp.StatusCode != http.StatusBadRequest || errorCode(t, data) != "invalid_request" {
			t.Errorf("DELETE /v1/cache?%s: %d %s; want 400 invalid_request", q, resp.StatusCode, data)
		}
	}
}

func TestCacheFailuresAreNotStored(t *testing.T) {
	in, _ := startCached(t, 0)
	upload(t, in.URL, "ptrap", readFile(t, "testdata/pure_trap.wasm"))
	for range 2 {
		resp, data := invoke(t, in.URL, "ptrap", "cache_ttl=1m", nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || errorCode(t, data) != "trap" || resp.Header.Get(server.HeaderCache) != server.CacheMiss {
			t.Fatalf("%d %s %q; want 422 trap, miss", resp.StatusCode, data, resp.Header.Get(server.HeaderCache))
		}
	}
	if got := metric(t, in.URL, `nexus_invocations_total{module="ptrap",outcome="trap"}`); got != 2 {
		t.Fatalf("the failing task ran %v times, want 2", got)
	}
	if s := stats(t, in.URL); s.Entries != 0 || s.Misses != 2 {
		t.Fatalf("stats %+v", s)
	}
}

// TestCacheSingleFlight sends identical invocations of a task that runs
// for a while at once: it runs once and every caller gets its output.
func TestCacheSingleFlight(t *testing.T) {
	in, _ := startCached(t, 0)
	upload(t, in.URL, "spin", readFile(t, "testdata/pure_spin.wasm"))
	input := binary.LittleEndian.AppendUint32(nil, 100_000_000)
	const callers = 12
	var wg sync.WaitGroup
	headers := make([]string, callers)
	for i := range callers {
		wg.Go(func() {
			resp, out := invoke(t, in.URL, "spin", "cache_ttl=1m", input)
			if resp.StatusCode != http.StatusOK || string(out) != string(input) {
				t.Errorf("caller %d: %d %q", i, resp.StatusCode, out)
			}
			headers[i] = resp.Header.Get(server.HeaderCache)
		})
	}
	wg.Wait()
	if got := runs(t, in.URL, "spin"); got != 1 {
		t.Fatalf("%d identical invocations ran the task %v times, want once", callers, got)
	}
	misses := 0
	for _, h := range headers {
		if h == server.CacheMiss {
			misses++
		} else if h != server.CacheHit {
			t.Fatalf("X-Nexus-Cache %q", h)
		}
	}
	s := stats(t, in.URL)
	t.Logf("stats %+v", s)
	if misses != 1 || s.Misses != 1 || s.Hits+s.Coalesced != callers-1 {
		t.Fatalf("%d misses in headers, stats %+v", misses, s)
	}
}

func TestCacheStatsAndMetrics(t *testing.T) {
	in, _ := startCached(t, 1<<20)
	upload(t, in.URL, "pecho", readFile(t, "testdata/pure_echo.wasm"))
	expectCache(t, in.URL, "pecho", "", "a", server.CacheBypass, "a")
	miss := expectCache(t, in.URL, "pecho", "cache_ttl=1m", "abc", server.CacheMiss, "abc")
	expectCache(t, in.URL, "pecho", "cache_ttl=1m", "abc", server.CacheHit, "abc")
	expectCache(t, in.URL, "pecho", "cache_ttl=1m", "abc", server.CacheHit, "abc")
	s := stats(t, in.URL)
	wantBytes := int64(len("abc")+len(miss.Header.Get(server.HeaderCacheKey))+len("pecho")) + cache.EntryOverhead
	if s.Hits != 2 || s.Misses != 1 || s.Bypasses != 1 || s.Entries != 1 || s.Bytes != wantBytes ||
		s.MaxBytes != 1<<20 || s.HitRatio < 0.66 || s.HitRatio > 0.67 {
		t.Fatalf("stats %+v (want %d bytes)", s, wantBytes)
	}
	invalidate(t, in.URL, "module=pecho")
	for series, want := range map[string]float64{
		"nexus_cache_hits_total":          2,
		"nexus_cache_misses_total":        1,
		"nexus_cache_bypasses_total":      1,
		"nexus_cache_stored_total":        1,
		"nexus_cache_invalidations_total": 1,
		"nexus_cache_entries":             0,
		"nexus_cache_bytes":               0,
		"nexus_cache_max_bytes":           1 << 20,
	} {
		if got := metric(t, in.URL, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if r := metric(t, in.URL, "nexus_cache_hit_ratio"); r < 0.66 || r > 0.67 {
		t.Errorf("nexus_cache_hit_ratio = %v", r)
	}
}

// TestNoCache checks a server without a cache: cache_ttl runs the task
// (still refused for impure modules), and the stats say max_bytes 0.
func TestNoCache(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	upload(t, in.URL, "pecho", readFile(t, "testdata/pure_echo.wasm"))
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	expectCache(t, in.URL, "pecho", "cache_ttl=1m", "a", server.CacheBypass, "a")
	expectCache(t, in.URL, "pecho", "cache_ttl=1m", "a", server.CacheBypass, "a")
	if resp, _ := invoke(t, in.URL, "echo", "cache_ttl=1m", nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("impure with cache_ttl and no cache: %d", resp.StatusCode)
	}
	if s := stats(t, in.URL); s != (cache.Stats{}) {
		t.Fatalf("stats without a cache: %+v", s)
	}
	if n := invalidate(t, in.URL, "module="+url.QueryEscape("pecho")); n != 0 {
		t.Fatalf("invalidated %d without a cache", n)
	}
}
