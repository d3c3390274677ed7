package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

// instance is one node over a data directory, started as nexus serve
// starts it (internal/node): a real bbolt file, a real wazero runtime with
// its on-disk cache and a real HTTP server on 127.0.0.1:0.
type instance struct {
	URL  string
	db   *store.DB
	srv  *server.Server
	node *node.Node
}

func start(t *testing.T, dir string, cfg server.Config) *instance {
	t.Helper()
	return startWith(t, dir, cfg, executor.DefaultConfig())
}

// startWith starts a node over dir with the settings of cfg and ecfg that
// a node.Config has: cfg.Cache stands for its size (the node builds its
// own result cache; none if nil), and the node always serves tasks,
// schedules and backups over its own database. Modules are not
// snapshotted at upload.
func startWith(t *testing.T, dir string, cfg server.Config, ecfg executor.Config) *instance {
	t.Helper()
	nc := node.DefaultConfig()
	nc.Addr, nc.DataDir, nc.NoSnapshots = "127.0.0.1:0", dir, true
	nc.Logger, nc.RequestLog = cfg.Logger, cfg.RequestLog
	if nc.Logger == nil {
		nc.Logger = slog.New(slog.DiscardHandler)
	}
	nc.MaxModuleBytes, nc.MaxInputBytes = cfg.MaxModuleBytes, cfg.MaxInputBytes
	nc.ReadTimeout, nc.MinReadRate, nc.CompileTimeout = cfg.BodyTimeout, cfg.MinBodyRate, cfg.CompileTimeout
	nc.MaxCompiles, nc.CompileQueue = cfg.MaxCompiles, cfg.CompileQueue
	nc.CacheBytes = 0
	if cfg.Cache != nil {
		nc.CacheBytes = cfg.Cache.MaxBytes()
	}
	nc.Workers, nc.CPUs, nc.QueueCapacity, nc.PinAtStart = ecfg.Workers, ecfg.CPUs, ecfg.QueueCapacity, ecfg.PinAtStart
	nc.NoPreemption, nc.Quantum, nc.Aging, nc.SyncRateWait = !ecfg.Preemption, ecfg.Quantum, ecfg.AgingInterval, ecfg.SyncRateWait
	nc.Rates, nc.Weights, nc.MemoryBudget = ecfg.Rates, ecfg.Weights, ecfg.MemoryBudget
	if ecfg.DefaultMemoryBytes != 0 {
		nc.DefaultMemoryBytes = ecfg.DefaultMemoryBytes
	}
	n, err := node.New(context.Background(), nc)
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{db: n.DB(), srv: n.Server(), node: n}
	t.Cleanup(in.stop)
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	in.URL = n.URL()
	return in
}

// newExecutor returns an executor, closed when the test ends.
func newExecutor(t *testing.T, cfg executor.Config) *executor.Executor {
	t.Helper()
	e, err := executor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// stop closes the node; a second call does nothing.
func (in *instance) stop() { in.node.Close(context.Background()) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func do(t *testing.T, method, url, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func upload(t *testing.T, base, name string, wasm []byte) (*http.Response, modules.Version) {
	t.Helper()
	resp, data := do(t, http.MethodPost, base+"/v1/modules/"+name, "application/wasm", wasm)
	var v modules.Version
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("upload %s: %v: %s", name, err, data)
		}
	}
	return resp, v
}

func TestUploadListInvokeRestart(t *testing.T) {
	dir := t.TempDir()
	in := start(t, dir, server.Config{})
	wat := readFile(t, "../examples/wat/echo.wasm")
	goEcho := readFile(t, "../examples/go/echo/echo.wasm")

	resp, v := upload(t, in.URL, "echo", wat)
	if resp.StatusCode != http.StatusCreated || v.Version != 1 || v.Profile != "wasi-command" ||
		!strings.HasPrefix(v.Digest, "sha256:") || v.Size != int64(len(wat)) || v.CreatedAt.IsZero() {
		t.Fatalf("upload: %d %+v", resp.StatusCode, v)
	}
	// The same bytes again are idempotent: 200 and the same version.
	if resp, again := upload(t, in.URL, "echo", wat); resp.StatusCode != http.StatusOK || again.Version != 1 {
		t.Fatalf("re-upload: %d %+v", resp.StatusCode, again)
	}
	// New bytes under the name are the next version.
	if resp, v2 := upload(t, in.URL, "echo", goEcho); resp.StatusCode != http.StatusCreated || v2.Version != 2 {
		t.Fatalf("second version: %d %+v", resp.StatusCode, v2)
	}
	upload(t, in.URL, "goecho", goEcho)

	resp, data := do(t, http.MethodGet, in.URL+"/v1/modules", "", nil)
	var list struct{ Modules []modules.Module }
	json.Unmarshal(data, &list)
	if resp.StatusCode != 200 || len(list.Modules) != 2 || list.Modules[0].Name != "echo" ||
		list.Modules[0].Versions != 2 || list.Modules[1].Name != "goecho" {
		t.Fatalf("list: %d %s", resp.StatusCode, data)
	}

	invoke := func(base, name, query, input string) {
		t.Helper()
		resp, out := do(t, http.MethodPost, base+"/v1/modules/"+name+"/invoke"+query, "", []byte(input))
		if resp.StatusCode != 200 || string(out) != input {
			t.Fatalf("invoke %s%s: %d %q", name, query, resp.StatusCode, out)
		}
		if len(resp.Header.Get(server.HeaderTaskID)) != 32 || resp.Header.Get(server.HeaderDurationMs) == "" ||
			resp.Header.Get(server.HeaderFuelUsed) == "" || resp.Header.Get(server.HeaderFuelUsed) == "0" {
			t.Fatalf("invoke %s: headers %v", name, resp.Header)
		}
	}
	invoke(in.URL, "echo", "", "hello")
	invoke(in.URL, "echo", "?version=1", "hello v1")
	invoke(in.URL, "goecho", "", "hello go")

	// Restart: new process state over the same data directory.
	in.stop()
	in = start(t, dir, server.Config{})
	invoke(in.URL, "echo", "", "after restart")
	invoke(in.URL, "echo", "?version=1", "older version compiles lazily")
	invoke(in.URL, "goecho", "", "go after restart")
	resp, data = do(t, http.MethodGet, in.URL+"/v1/modules/echo", "", nil)
	var got struct{ Versions []modules.Version }
	json.Unmarshal(data, &got)
	if resp.StatusCode != 200 || len(got.Versions) != 2 {
		t.Fatalf("versions after restart: %d %s", resp.StatusCode, data)
	}

	// Delete removes every version; the bytes shared with goecho survive.
	if resp, _ := do(t, http.MethodDelete, in.URL+"/v1/modules/echo", "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, in.URL+"/v1/modules/echo/invoke", "", nil); resp.StatusCode != 404 {
		t.Fatalf("invoke deleted: %d", resp.StatusCode)
	}
	invoke(in.URL, "goecho", "", "still here")
	if err := in.db.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{MaxModuleBytes: 1 << 20, MaxInputBytes: 1 << 20})
	echo := readFile(t, "../examples/wat/echo.wasm")
	fixture := func(name string) []byte { return readFile(t, filepath.Join("../host/testdata", name)) }
	for name, wasm := range map[string][]byte{
		"echo": echo, "loop": fixture("loop.wasm"), "grow": fixture("grow.wasm"), "exit3": fixture("exit3.wasm"),
		"flood": fixture("flood.wasm"), "trap": fixture("trap.wasm"), "nexus-echo": fixture("nexus_echo.wasm"),
		"bigmem": fixture("bigmem.wasm"), "recurse": fixture("recurse.wasm"),
	} {
		if resp, _ := upload(t, in.URL, name, wasm); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %s: %d", name, resp.StatusCode)
		}
	}
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	tests := []struct {
		name, method, path string
		body               []byte
		status             int
		code               string
		message            string
	}{
		{"empty body", "POST", "/v1/modules/m", nil, 400, "invalid_module", "empty body"},
		{"random bytes", "POST", "/v1/modules/m", random, 400, "invalid_module", "not a WebAssembly module"},
		{"truncated", "POST", "/v1/modules/m", echo[:len(echo)/2], 400, "invalid_module", "truncated"},
		{"no profile", "POST", "/v1/modules/m", fixture("noprofile.wasm"), 400, "invalid_module", "neither _start"},
		{"disallowed import", "POST", "/v1/modules/m", fixture("badimport.wasm"), 400, "invalid_module", "env.open"},
		{"reserved export", "POST", "/v1/modules/m", fixture("reserved.wasm"), 400, "invalid_module", "reserved"},
		{"oversize", "POST", "/v1/modules/m", make([]byte, 1<<20+1), 413, "too_large", "limit"},
		{"bad name", "POST", "/v1/modules/Bad_Name", echo, 400, "invalid_request", "must match"},
		{"long name", "POST", "/v1/modules/" + strings.Repeat("a", 65), echo, 400, "invalid_request", "must match"},
		{"unknown module", "POST", "/v1/modules/nope/invoke", nil, 404, "module_not_found", "nope"},
		{"unknown version", "POST", "/v1/modules/echo/invoke?version=9", nil, 404, "module_not_found", "no version 9"},
		{"bad version", "POST", "/v1/modules/echo/invoke?version=x", nil, 400, "invalid_request", "version"},
		{"bad memory", "POST", "/v1/modules/echo/invoke?memory=lots", nil, 400, "invalid_request", "memory"},
		{"bad timeout", "POST", "/v1/modules/echo/invoke?timeout=-1s", nil, 400, "invalid_request", "timeout"},
		{"timeout above max", "POST", "/v1/modules/echo/invoke?timeout=2h", nil, 400, "invalid_request", "timeout"},
		{"input too large", "POST", "/v1/modules/echo/invoke", make([]byte, 1<<20+1), 413, "too_large", "limit"},
		{"infinite loop", "POST", "/v1/modules/loop/invoke?timeout=300ms", nil, 422, "timeout", "deadline"},
		{"fuel exhausted", "POST", "/v1/modules/loop/invoke?fuel=1e6", nil, 422, "fuel_exhausted", "budget 1000000"},
		{"fuel above max", "POST", "/v1/modules/loop/invoke?fuel=1e15", nil, 400, "invalid_request", "fuel"},
		{"bad fuel", "POST", "/v1/modules/loop/invoke?fuel=lots", nil, 400, "invalid_request", "fuel"},
		{"runaway recursion", "POST", "/v1/modules/recurse/invoke", nil, 422, "trap", "call depth"},
		{"memory.grow loop", "POST", "/v1/modules/grow/invoke?memory=8MiB", nil, 422, "memory_limit", "refused"},
		{"minimum memory over quota", "POST", "/v1/modules/bigmem/invoke", nil, 422, "memory_limit", "quota"},
		{"non-zero exit", "POST", "/v1/modules/exit3/invoke", nil, 422, "exit_nonzero", "exit code 3"},
		{"output flood", "POST", "/v1/modules/flood/invoke", nil, 422, "output_limit", "output"},
		{"trap", "POST", "/v1/modules/trap/invoke", nil, 422, "trap", "divide by zero"},
		{"task error", "POST", "/v1/modules/nexus-echo/invoke", []byte("fail"), 422, "task_error", "asked to fail"},
		{"NUL in arg", "POST", "/v1/modules/echo/invoke?arg=%00", nil, 400, "invalid_request", "NUL"},
		{"NUL inside arg", "POST", "/v1/modules/echo/invoke?arg=a&arg=b%00c", nil, 400, "invalid_request", "NUL"},
		{"NUL in env value", "POST", "/v1/modules/echo/invoke?env=K%3Dv%00", nil, 400, "invalid_request", "NUL"},
		{"NUL in env key", "POST", "/v1/modules/echo/invoke?env=K%00%3Dv", nil, 400, "invalid_request", "NUL"},
		{"delete unknown", "DELETE", "/v1/modules/nope", nil, 404, "module_not_found", "nope"},
		{"get unknown", "GET", "/v1/modules/nope", nil, 404, "module_not_found", "nope"},
		{"no route", "GET", "/v2/x", nil, 404, "not_found", "no such endpoint"},
		{"wrong method", "PUT", "/v1/modules/echo", nil, 405, "method_not_allowed", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := do(t, tt.method, in.URL+tt.path, "", tt.body)
			var eb server.ErrorBody
			if err := json.Unmarshal(data, &eb); err != nil {
				t.Fatalf("%d %q: %v", resp.StatusCode, data, err)
			}
			if resp.StatusCode != tt.status || eb.Error.Code != tt.code || !strings.Contains(eb.Error.Message, tt.message) {
				t.Fatalf("got %d %s %q, want %d %s containing %q", resp.StatusCode, eb.Error.Code, eb.Error.Message, tt.status, tt.code, tt.message)
			}
			if strings.HasSuffix(tt.path, "/invoke") || strings.Contains(tt.path, "/invoke?") {
				if eb.Error.TaskID == "" || eb.Error.TaskID != resp.Header.Get(server.HeaderTaskID) {
					t.Fatalf("task id %q, header %q", eb.Error.TaskID, resp.Header.Get(server.HeaderTaskID))
				}
			}
		})
	}
	t.Run("fuel exhausted carries fuel used", func(t *testing.T) {
		resp, data := do(t, "POST", in.URL+"/v1/modules/loop/invoke?fuel=2000000", "", nil)
		var eb server.ErrorBody
		json.Unmarshal(data, &eb)
		if eb.Error.FuelUsed == nil || *eb.Error.FuelUsed <= 2000000 ||
			resp.Header.Get(server.HeaderFuelUsed) != fmt.Sprint(*eb.Error.FuelUsed) {
			t.Fatalf("%v %s", resp.Header, data)
		}
	})
	t.Run("exit error carries logs and code", func(t *testing.T) {
		_, data := do(t, "POST", in.URL+"/v1/modules/exit3/invoke", "", nil)
		var eb server.ErrorBody
		json.Unmarshal(data, &eb)
		if eb.Error.Logs != "something went wrong\n" || eb.Error.ExitCode == nil || *eb.Error.ExitCode != 3 {
			t.Fatalf("%s", data)
		}
	})
	// After every failure the server still serves, and nothing was lost.
	resp, out := do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", []byte("still serving"))
	if resp.StatusCode != 200 || string(out) != "still serving" {
		t.Fatalf("after errors: %d %q", resp.StatusCode, out)
	}
	_, data := do(t, "GET", in.URL+"/v1/modules", "", nil)
	var list struct{ Modules []modules.Module }
	json.Unmarshal(data, &list)
	if len(list.Modules) != 9 {
		t.Fatalf("modules after errors: %s", data)
	}
}

func TestConcurrentInvocations(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			input := fmt.Sprintf("invocation %d %s", i, strings.Repeat("x", i*13))
			resp, err := client.Post(in.URL+"/v1/modules/echo/invoke", "application/octet-stream", strings.NewReader(input))
			if err != nil {
				errs <- err
				return
			}
			out, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && (resp.StatusCode != 200 || string(out) != input) {
				err = fmt.Errorf("invocation %d: %d %q", i, resp.StatusCode, out)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestKVAndConfig: kv state persists across invocations and restarts and is
// per module; configuration comes from query and headers.
func TestKVAndConfig(t *testing.T) {
	dir := t.TempDir()
	in := start(t, dir, server.Config{})
	counter := readFile(t, "../examples/wat/counter.wasm")
	upload(t, in.URL, "counter", counter)
	upload(t, in.URL, "other-counter", counter)
	upload(t, in.URL, "config", readFile(t, "../host/testdata/config.wasm"))
	invoke := func(base, name, query string, header http.Header) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/v1/modules/"+name+"/invoke"+query, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", name, resp.StatusCode, out)
		}
		return string(out)
	}
	for want := 1; want <= 3; want++ {
		if got := invoke(in.URL, "counter", "", nil); got != fmt.Sprint(want) {
			t.Fatalf("counter run %d: %q", want, got)
		}
	}
	if got := invoke(in.URL, "other-counter", "", nil); got != "1" {
		t.Fatalf("other module shares kv: %q", got)
	}
	in.stop()
	in = start(t, dir, server.Config{})
	if got := invoke(in.URL, "counter", "", nil); got != "4" {
		t.Fatalf("after restart: %q", got)
	}
	// Deleting a module drops its kv namespace.
	do(t, "DELETE", in.URL+"/v1/modules/counter", "", nil)
	upload(t, in.URL, "counter", counter)
	if got := invoke(in.URL, "counter", "", nil); got != "1" {
		t.Fatalf("after delete and re-upload: %q", got)
	}

	if got := invoke(in.URL, "config", "", nil); got != "none" {
		t.Fatalf("no config: %q", got)
	}
	if got := invoke(in.URL, "config", "?config=greeting=hello%20world", nil); got != "hello world" {
		t.Fatalf("query config: %q", got)
	}
	h := http.Header{"X-Nexus-Config-Greeting": {"from a header"}}
	if got := invoke(in.URL, "config", "", h); got != "from a header" {
		t.Fatalf("header config: %q", got)
	}
	if got := invoke(in.URL, "config", "?config=greeting=query%20wins", h); got != "query wins" {
		t.Fatalf("query over header: %q", got)
	}
	if resp, _ := do(t, "POST", in.URL+"/v1/modules/config/invoke?config=novalue", "", nil); resp.StatusCode != 400 {
		t.Fatalf("config without =: %d", resp.StatusCode)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", []byte("x"))
	do(t, "POST", in.URL+"/v1/modules/echo/invoke?timeout=abc", "", nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp, _ := do(t, "GET", in.URL+path, "", nil); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	resp, data := do(t, "GET", in.URL+"/metrics", "", nil)
	for _, want := range []string{
		`nexus_invocations_total{module="echo",outcome="ok"} 1`,
		`nexus_invocation_duration_seconds_count{module="echo"} 1`,
		"nexus_modules 1",
		`nexus_fuel_used_count{module="echo"} 1`,
	} {
		if resp.StatusCode != 200 || !strings.Contains(string(data), want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}

func TestNotReady(t *testing.T) {
	db, err := store.Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rt, err := host.New(context.Background(), host.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	reg := modules.New(db, rt, modules.Config{})
	srv := server.New(reg, rt, newExecutor(t, executor.DefaultConfig()), metrics.New(reg.Len), server.Config{Logger: slog.New(slog.DiscardHandler)})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503, "/v1/modules": 503} {
		resp, data := do(t, "GET", hs.URL+path, "", nil)
		if resp.StatusCode != want {
			t.Fatalf("%s: %d %s, want %d", path, resp.StatusCode, data, want)
		}
		if want == 503 && (resp.Header.Get("Retry-After") == "" || !strings.Contains(string(data), `"unavailable"`)) {
			t.Fatalf("%s: %v %s", path, resp.Header, data)
		}
	}
	srv.SetReady(true)
	if resp, _ := do(t, "GET", hs.URL+"/readyz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("readyz after SetReady: %d", resp.StatusCode)
	}
	// A server without Config.Backup or Config.Schedules has neither.
	if resp, body := do(t, "GET", hs.URL+"/v1/admin/backup", "", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("backup without a database configured: %d %s", resp.StatusCode, body)
	}
	resp, body := do(t, http.MethodGet, hs.URL+"/v1/schedules", "", nil)
	schedWantError(t, resp, body, http.StatusServiceUnavailable, "unavailable", "schedules are not enabled")
}

// TestInvokeHeaderKeysCanonical: the invoke path stores its response
// headers into the header map directly, which needs canonical keys.
func TestInvokeHeaderKeysCanonical(t *testing.T) {
	for _, k := range []string{server.HeaderTaskID, server.HeaderDurationMs, server.HeaderModuleVer,
		server.HeaderFuelUsed, server.HeaderProgress, server.HeaderPreemptions, server.HeaderCache, server.HeaderCacheKey} {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("header %q is not canonical (%q)", k, c)
		}
	}
}
