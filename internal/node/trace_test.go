package node_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/internal/telemetry/otlptest"
)

// submitterParent is the traceparent a client sends: its trace and span.
const (
	submitterTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	submitterSpan   = "00f067aa0ba902b7"
	submitterParent = "00-" + submitterTrace + "-" + submitterSpan + "-01"
)

// startTracedNode starts a node over dir exporting its spans to rcv.
func startTracedNode(t *testing.T, dir string, rcv *otlptest.Receiver, edit func(*node.Config)) *node.Node {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", dir
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.OTelEndpoint, cfg.OTelSample = rcv.URL(), 1
	if edit != nil {
		edit(&cfg)
	}
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

// post sends a POST with a traceparent header and returns the body.
func post(t *testing.T, url, contentType, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("traceparent", submitterParent)
	req.Header.Set("tracestate", "congo=t61rcWkgMzE")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// chain checks that the span named last exists in spans with the path
// want from the submitter's span, every span in the submitter's trace,
// and returns it.
func chain(t *testing.T, spans []otlptest.Span, last otlptest.Span, want string) {
	t.Helper()
	if got := otlptest.Path(spans, last); got != want {
		t.Errorf("span path:\n got %s\nwant %s", got, want)
	}
	for p := last; ; {
		if p.TraceID != submitterTrace {
			t.Errorf("span %s in trace %s, want the submitter's %s", p.Name, p.TraceID, submitterTrace)
		}
		next, ok := otlptest.ByID(spans, p.ParentSpanID)
		if !ok {
			break
		}
		p = next
	}
}

// TestTraceSpans: with an OTLP/HTTP endpoint, an invoke and a durable
// task each export the span tree of their path, joined to the trace of
// the request's traceparent: HTTP request → queue → executor.wait →
// instantiate → run (→ commit for the durable task), with the figures of
// the run as attributes.
func TestTraceSpans(t *testing.T) {
	rcv := otlptest.New()
	defer rcv.Close()
	n := startTracedNode(t, t.TempDir(), rcv, nil)
	wasm, err := os.ReadFile("../../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, n)
	ctx := context.Background()
	if _, err := c.PushModule(ctx, "echo", wasm, nil); err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, n.URL()+"/v1/modules/echo/invoke", "application/octet-stream", "hi"); code != 200 || string(body) != "hi" {
		t.Fatalf("invoke: %d %s", code, body)
	}
	code, body := post(t, n.URL()+"/v1/tasks", "application/json", `{"module":"echo","input":"durable"}`)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, body)
	}
	var task struct{ ID string }
	if err := json.Unmarshal(body, &task); err != nil {
		t.Fatal(err)
	}
	if res, err := c.WaitTask(ctx, task.ID); err != nil || res.State != client.StateSucceeded {
		t.Fatalf("task: %v %+v", err, res)
	}
	if err := n.Tracer().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	spans, ok := rcv.Wait(10*time.Second, func(s []otlptest.Span) bool {
		return len(otlptest.Named(s, "commit")) >= 1 && len(otlptest.Named(s, "run")) >= 2
	})
	if !ok {
		t.Fatalf("spans: %d received, no commit or fewer than 2 runs", len(spans))
	}
	invoke := otlptest.Named(spans, "POST /v1/modules/:name/invoke")
	if len(invoke) != 1 {
		t.Fatalf("%d invoke request spans", len(invoke))
	}
	if invoke[0].ParentSpanID != submitterSpan || invoke[0].Kind != 2 {
		t.Errorf("invoke span: parent %s kind %d, want the submitter's %s, server", invoke[0].ParentSpanID, invoke[0].Kind, submitterSpan)
	}
	for k, v := range map[string]string{"http.request.method": "POST", "http.route": "/v1/modules/:name/invoke", "http.response.status_code": "200", "server.address": "127.0.0.1"} {
		if invoke[0].Attrs[k] != v {
			t.Errorf("invoke span %s = %q, want %q", k, invoke[0].Attrs[k], v)
		}
	}
	if invoke[0].ServiceName != "nexus" {
		t.Errorf("service.name %q", invoke[0].ServiceName)
	}
	var runs, commits []otlptest.Span
	for _, s := range otlptest.Named(spans, "run") {
		runs = append(runs, s)
	}
	commits = otlptest.Named(spans, "commit")
	var invokeRun, taskRun otlptest.Span
	for _, r := range runs {
		if strings.Contains(otlptest.Path(spans, r), "invoke") {
			invokeRun = r
		} else {
			taskRun = r
		}
	}
	chain(t, spans, invokeRun, "["+submitterSpan+"] → POST /v1/modules/:name/invoke → queue → executor.wait → instantiate → run")
	chain(t, spans, commits[0], "["+submitterSpan+"] → POST /v1/tasks → queue → executor.wait → instantiate → run → commit")
	if taskRun.Attrs["nexus.exit"] != "ok" || taskRun.Attrs["nexus.fuel.used"] == "" || taskRun.Attrs["nexus.fuel.used"] == "0" ||
		taskRun.Attrs["nexus.memory.peak_bytes"] == "" {
		t.Errorf("run span attributes %v", taskRun.Attrs)
	}
	inst, _ := otlptest.ByID(spans, taskRun.ParentSpanID)
	switch inst.Attrs["nexus.instance.source"] {
	case "fresh", "snapshot", "ready", "reset", "warm_new", "warm_reused":
	default:
		t.Errorf("instantiate span source %q", inst.Attrs["nexus.instance.source"])
	}
	q := otlptest.Named(spans, "queue")
	for _, s := range q {
		if s.Attrs["nexus.module"] != "echo" || s.Attrs["nexus.task.id"] == "" {
			t.Errorf("queue span attributes %v", s.Attrs)
		}
		if s.End.Before(s.Start) {
			t.Errorf("queue span ends before it starts")
		}
	}
}

// TestTracePreemption: a running task preempted by a higher-priority one
// has a "preempted" event naming the preempting task, and a "resumed"
// one, on its executor.wait span.
func TestTracePreemption(t *testing.T) {
	rcv := otlptest.New()
	defer rcv.Close()
	n := startTracedNode(t, t.TempDir(), rcv, func(c *node.Config) { c.Workers = 1 })
	ctx := context.Background()
	c := newClient(t, n)
	for name, path := range map[string]string{"spin": "../../server/testdata/pure_spin.wasm", "echo": "../../examples/wat/echo.wasm"} {
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PushModule(ctx, name, wasm, nil); err != nil {
			t.Fatal(err)
		}
	}
	low, err := c.SubmitTask(ctx, client.TaskSpec{Module: "spin", InputBase64: []byte{0, 0, 0, 0x40}, Priority: ptr(1)}) // 2^30 turns
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		r, err := c.GetTask(ctx, low.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == client.StateRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("low-priority task still %s", r.State)
		}
	}
	high, err := c.SubmitTask(ctx, client.TaskSpec{Module: "echo", Input: "urgent", Priority: ptr(9)})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.WaitTask(ctx, high.ID); err != nil || res.State != client.StateSucceeded {
		t.Fatalf("high: %v %+v", err, res)
	}
	if _, err := c.CancelTask(ctx, low.ID); err != nil {
		t.Fatal(err)
	}
	c.WaitTask(ctx, low.ID)
	if err := n.Tracer().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitOf := func(spans []otlptest.Span) (otlptest.Span, bool) {
		for _, q := range otlptest.Named(spans, "queue") {
			if q.Attrs["nexus.task.id"] != low.ID {
				continue
			}
			for _, w := range otlptest.Named(spans, "executor.wait") {
				if w.ParentSpanID == q.SpanID {
					return w, true
				}
			}
		}
		return otlptest.Span{}, false
	}
	spans, ok := rcv.Wait(10*time.Second, func(s []otlptest.Span) bool { _, ok := waitOf(s); return ok })
	if !ok {
		t.Fatalf("no executor.wait span of the low task among %d spans", len(spans))
	}
	w, _ := waitOf(spans)
	var preempted, resumed bool
	for _, e := range w.Events {
		switch e.Name {
		case "preempted":
			preempted = e.Attrs["nexus.preempted_by"] == high.ID
		case "resumed":
			resumed = true
		}
	}
	if !preempted || !resumed || w.Attrs["nexus.preemptions"] == "0" {
		t.Fatalf("executor.wait of the preempted task: %+v", w)
	}
}

func ptr[T any](v T) *T { return &v }

// TestWebhookTraceparent: the webhook delivery of a task's event carries
// the traceparent its submission came with (tracing off: the header's
// context is kept all the same, for the receiver's trace).
func TestWebhookTraceparent(t *testing.T) {
	got := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("traceparent")
	}))
	defer hook.Close()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.WebhookAllow = []string{"127.0.0.1/32"}
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := newClient(t, n)
	wasm, err := os.ReadFile("../../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "echo", wasm, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateWebhook(ctx, client.WebhookSpec{Name: "done", URL: hook.URL, Types: []string{"task.succeeded"}}); err != nil {
		t.Fatal(err)
	}
	code, body := post(t, n.URL()+"/v1/tasks", "application/json", `{"module":"echo","input":"x"}`)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, body)
	}
	var task struct{ ID string }
	if err := json.Unmarshal(body, &task); err != nil {
		t.Fatal(err)
	}
	select {
	case tp := <-got:
		if tp != submitterParent {
			t.Fatalf("delivery traceparent %q, want %q", tp, submitterParent)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	// The event log keeps it: the events read back from it carry it.
	code, _, evs := get(t, n.URL()+"/v1/events?task="+task.ID)
	if code != http.StatusOK || !strings.Contains(string(evs), `"traceparent":"`+submitterParent+`"`) {
		t.Fatalf("events of the task: %d %s", code, evs)
	}
}

// TestTraceSpawnedChildren: the children a traced task spawns keep its
// trace context, so their spans are in the submitter's trace.
func TestTraceSpawnedChildren(t *testing.T) {
	rcv := otlptest.New()
	defer rcv.Close()
	n := startTracedNode(t, t.TempDir(), rcv, nil)
	ctx := context.Background()
	c := newClient(t, n)
	for name, path := range map[string]string{"spawn": "../../examples/wat/spawn/spawn.wasm", "sha256": "../../examples/wat/sha256/sha256.wasm"} {
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PushModule(ctx, name, wasm, nil); err != nil {
			t.Fatal(err)
		}
	}
	code, body := post(t, n.URL()+"/v1/tasks", "application/json", `{"module":"spawn","input":"abc\nhello\n"}`)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, body)
	}
	var task struct{ ID string }
	if err := json.Unmarshal(body, &task); err != nil {
		t.Fatal(err)
	}
	if res, err := c.WaitTask(ctx, task.ID); err != nil || res.State != client.StateSucceeded {
		t.Fatalf("spawn: %v %+v", err, res)
	}
	n.Tracer().Flush(ctx)
	children := func(s []otlptest.Span) int {
		k := 0
		for _, q := range otlptest.Named(s, "queue") {
			if q.Attrs["nexus.module"] == "sha256" && q.TraceID == submitterTrace {
				k++
			}
		}
		return k
	}
	spans, ok := rcv.Wait(10*time.Second, func(s []otlptest.Span) bool { return children(s) == 2 })
	if !ok {
		t.Fatalf("%d child queue spans in the submitter's trace, want 2", children(spans))
	}
}
