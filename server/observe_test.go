package server_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/server"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMetricsJSON: GET /v1/metrics has the figures of /metrics as JSON:
// a counter's value, a histogram's count, sum, cumulative buckets ending
// at +Inf and its estimated quantiles; filter= keeps matching families.
func TestMetricsJSON(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	for range 3 {
		if resp, body := do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", []byte("x")); resp.StatusCode != 200 {
			t.Fatalf("invoke: %d %s", resp.StatusCode, body)
		}
	}
	resp, body := do(t, "GET", in.URL+"/v1/metrics", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/metrics: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var fams []metrics.Family
	if err := json.Unmarshal(body, &fams); err != nil {
		t.Fatal(err)
	}
	byName := map[string]metrics.Family{}
	for _, f := range fams {
		byName[f.Name] = f
	}
	inv := byName["nexus_invocations_total"]
	if inv.Type != "counter" || len(inv.Metrics) != 1 || *inv.Metrics[0].Value != 3 ||
		inv.Metrics[0].Labels["module"] != "echo" || inv.Metrics[0].Labels["outcome"] != "ok" {
		t.Fatalf("nexus_invocations_total: %+v", inv)
	}
	if byName["go_goroutines"].Type != "gauge" || byName["nexus_modules"].Metrics[0].Value == nil || *byName["nexus_modules"].Metrics[0].Value != 1 {
		t.Errorf("gauges: %+v %+v", byName["go_goroutines"], byName["nexus_modules"])
	}
	h := byName["nexus_invocation_duration_seconds"]
	if h.Type != "histogram" || len(h.Metrics) != 1 {
		t.Fatalf("histogram: %+v", h)
	}
	m := h.Metrics[0]
	last := m.Buckets[len(m.Buckets)-1]
	if *m.Count != 3 || *m.Sum <= 0 || last.Le != "+Inf" || last.Count != 3 || len(m.Quantiles) != 3 {
		t.Fatalf("histogram sample: %+v", m)
	}
	for i := 1; i < len(m.Buckets); i++ {
		if m.Buckets[i].Count < m.Buckets[i-1].Count {
			t.Fatalf("buckets not cumulative: %+v", m.Buckets)
		}
	}
	if q50, q99 := m.Quantiles["0.5"], m.Quantiles["0.99"]; q50 <= 0 || q99 < q50 {
		t.Errorf("quantiles %v", m.Quantiles)
	}
	// The text format says the same.
	_, text := do(t, "GET", in.URL+"/metrics", "", nil)
	if !strings.Contains(string(text), `nexus_invocations_total{module="echo",outcome="ok"} 3`) {
		t.Errorf("/metrics disagrees")
	}

	_, body = do(t, "GET", in.URL+"/v1/metrics?filter=nexus_invocations", "", nil)
	fams = nil
	if err := json.Unmarshal(body, &fams); err != nil {
		t.Fatal(err)
	}
	if len(fams) == 0 {
		t.Fatal("filter kept nothing")
	}
	for _, f := range fams {
		if !strings.Contains(f.Name, "nexus_invocations") {
			t.Errorf("filter kept %s", f.Name)
		}
	}
}

// TestHandlerPanic: a panic in a handler is answered 500 internal for
// that request only, counted in nexus_panics_total and logged with its
// stack; the server keeps serving.
func TestHandlerPanic(t *testing.T) {
	var log syncBuffer
	in := start(t, t.TempDir(), server.Config{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	server.PanicOn(in.srv, "/v1/test/panic", "handler exploded")
	resp, body := do(t, "GET", in.URL+"/v1/test/panic", "", nil)
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `"code":"internal"`) {
		t.Fatalf("panicking handler: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(log.String(), "panic in handler") || !strings.Contains(log.String(), "handler exploded") ||
		!strings.Contains(log.String(), "goroutine") || !strings.Contains(log.String(), "observe_test.go") {
		t.Errorf("log lacks the panic and its stack:\n%s", log.String())
	}
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	if resp, body := do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", []byte("still")); resp.StatusCode != 200 || string(body) != "still" {
		t.Fatalf("after the panic: %d %s", resp.StatusCode, body)
	}
	_, text := do(t, "GET", in.URL+"/metrics", "", nil)
	if !strings.Contains(string(text), `nexus_panics_total{where="handler"} 1`) {
		t.Errorf("panic not counted")
	}
}

// panicKV is a KV store with a bug: every call panics.
type panicKV struct{}

func (panicKV) Get(string, string) ([]byte, bool, error) { panic("kv exploded") }
func (panicKV) Set(string, string, []byte, int64) error  { panic("kv exploded") }
func (panicKV) Delete(string, string) (bool, error)      { panic("kv exploded") }

// TestHostFunctionPanic: a panic in a host function (the KV store's,
// injected through the invoke seam) fails that invoke with 500 internal,
// counted as a task panic and logged with its stack; the server keeps
// serving.
func TestHostFunctionPanic(t *testing.T) {
	var log syncBuffer
	in := start(t, t.TempDir(), server.Config{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	upload(t, in.URL, "counter", readFile(t, "../examples/wat/counter.wasm"))
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	server.SetInvokeKV(in.srv, panicKV{})
	resp, body := do(t, "POST", in.URL+"/v1/modules/counter/invoke", "", []byte("1"))
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `"code":"internal"`) ||
		!strings.Contains(string(body), "kv exploded") {
		t.Fatalf("invoke with a panicking host function: %d %s", resp.StatusCode, body)
	}
	if l := log.String(); !strings.Contains(l, "host function panicked") || !strings.Contains(l, "observe_test.go") {
		t.Errorf("log lacks the panic's stack:\n%s", l)
	}
	if resp, body := do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", []byte("on")); resp.StatusCode != 200 || string(body) != "on" {
		t.Fatalf("after the panic: %d %s", resp.StatusCode, body)
	}
	_, text := do(t, "GET", in.URL+"/metrics", "", nil)
	if !strings.Contains(string(text), `nexus_panics_total{where="task"} 1`) ||
		!strings.Contains(string(text), `nexus_invocations_total{module="counter",outcome="internal"} 1`) {
		t.Errorf("panic not counted:\n%s", text)
	}
}

// blockKV is a KV store stuck in every call until release is closed.
type blockKV struct{ release chan struct{} }

func (b blockKV) Get(string, string) ([]byte, bool, error) { <-b.release; return nil, false, nil }
func (b blockKV) Set(string, string, []byte, int64) error  { <-b.release; return nil }
func (b blockKV) Delete(string, string) (bool, error)      { <-b.release; return false, nil }

// TestStuckHostCall: with one worker, an invoke whose kv call blocks past
// its deadline is answered 422 timeout at the deadline, the call
// abandoned and counted, and the worker free: the next invoke runs.
func TestStuckHostCall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ecfg := executor.DefaultConfig()
	ecfg.Workers = 1
	in := startWith(t, t.TempDir(), server.Config{}, ecfg)
	upload(t, in.URL, "counter", readFile(t, "../examples/wat/counter.wasm"))
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	server.SetInvokeKV(in.srv, blockKV{release})
	resp, body := do(t, "POST", in.URL+"/v1/modules/counter/invoke?timeout=100ms", "", []byte("1"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"code":"timeout"`) {
		t.Fatalf("stuck invoke: %d %s", resp.StatusCode, body)
	}
	server.SetInvokeKV(in.srv, nil)
	if resp, body := do(t, "POST", in.URL+"/v1/modules/echo/invoke?queue_timeout=5s", "", []byte("free")); resp.StatusCode != 200 || string(body) != "free" {
		t.Fatalf("the next invoke: %d %s", resp.StatusCode, body)
	}
	_, text := do(t, "GET", in.URL+"/metrics", "", nil)
	if !strings.Contains(string(text), "nexus_host_calls_abandoned_total ") {
		t.Errorf("abandoned calls not exposed")
	}
}

// TestWorkflowTimeline: GET /v1/workflows/{id}/timeline has each step's
// task timeline, the second step's starting after the first's outcome.
func TestWorkflowTimeline(t *testing.T) {
	in := startWorkflows(t)
	v := submitWF(t, in.URL, "/v1/workflows", `{"steps": [
		{"id": "a", "module": "step", "input": "x", "config": {"mode": "echo"}},
		{"id": "b", "depends_on": ["a"], "input_from": "a", "module": "step", "config": {"mode": "echo"}}]}`)
	if code, out := wfResult(t, in.URL, v.ID); code != http.StatusOK {
		t.Fatalf("result: %d %s", code, out)
	}
	resp, body := do(t, "GET", in.URL+"/v1/workflows/"+v.ID+"/timeline", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("timeline: %d %s", resp.StatusCode, body)
	}
	var wt server.WorkflowTimeline
	if err := json.Unmarshal(body, &wt); err != nil {
		t.Fatal(err)
	}
	if wt.WorkflowID != v.ID || len(wt.Steps) != 2 || wt.DurationMs <= 0 {
		t.Fatalf("timeline %s", body)
	}
	var outcome [2]server.Phase
	for i, st := range wt.Steps {
		if st.Timeline == nil || len(st.Timeline.Phases) == 0 || st.TaskID == "" {
			t.Fatalf("step %s: %s", st.Step, body)
		}
		ph := st.Timeline.Phases
		if ph[0].Phase != "submitted" || ph[len(ph)-1].Phase != "succeeded" {
			t.Fatalf("step %s phases %+v", st.Step, ph)
		}
		outcome[i] = ph[len(ph)-1]
	}
	if b := wt.Steps[1].Timeline.Phases[0]; b.Start.Before(outcome[0].Start) {
		t.Errorf("step b submitted at %v, before step a finished at %v", b.Start, outcome[0].Start)
	}
	if resp, _ := do(t, "GET", in.URL+"/v1/workflows/nosuch/timeline", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown workflow: %d", resp.StatusCode)
	}
}
