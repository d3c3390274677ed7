package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/health"
	"github.com/nexustask/nexus/internal/node"
)

// startHealthNode starts a node whose health rounds run every interval.
func startHealthNode(t *testing.T, interval time.Duration) *node.Node {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.HealthInterval = interval
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

// get returns a GET's status, Retry-After and body.
func get(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), b
}

// TestHealthChecks: GET /v1/health lists the store, executor and disk
// checks, each ok with its latency, and the status ok.
func TestHealthChecks(t *testing.T) {
	n := startHealthNode(t, time.Hour)
	n.Health().RunNow(context.Background())
	code, _, body := get(t, n.URL()+"/v1/health")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/health: %d %s", code, body)
	}
	var r health.Report
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	names := map[string]health.Status{}
	for _, c := range r.Checks {
		names[c.Name] = c
	}
	for _, want := range []string{"store", "executor", "disk", "events"} {
		c, ok := names[want]
		if !ok || c.Status != health.StatusOK || c.CheckedAt.IsZero() || c.LatencyMs < 0 {
			t.Errorf("check %s: %+v (report %s)", want, c, body)
		}
	}
	if r.Status != health.StatusOK || !names["store"].Critical || names["executor"].Critical {
		t.Errorf("report %s", body)
	}
	if code, _, body := get(t, n.URL()+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz %d %s", code, body)
	}
}

// TestHealthRefusesWork: while the store check fails (a write failure
// injected through the checker's seam) the node answers new work 503
// unavailable with Retry-After, keeps serving reads and keeps the task it
// had accepted, which runs once the fault clears; the node takes work
// again by itself at its next round.
func TestHealthRefusesWork(t *testing.T) {
	n := startHealthNode(t, 20*time.Millisecond)
	ctx := context.Background()
	c := newClient(t, n)
	wasm, err := os.ReadFile("../../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "echo", wasm, nil); err != nil {
		t.Fatal(err)
	}
	// Accepted before the fault, due while the node refuses new work.
	delay := 300 * time.Millisecond
	task, err := c.SubmitTask(ctx, client.TaskSpec{Module: "echo", Input: "kept", DelayMs: delay.Milliseconds()})
	if err != nil {
		t.Fatal(err)
	}
	n.Health().InjectFault("store", errors.New("input/output error"))
	n.Health().RunNow(ctx)

	res, err := http.Post(n.URL()+"/v1/modules/echo/invoke", "application/octet-stream", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(b), `"code":"unavailable"`) || !strings.Contains(string(b), "store") {
		t.Fatalf("invoke while unhealthy: %d Retry-After %q %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	if _, err := c.SubmitTask(ctx, client.TaskSpec{Module: "echo", Input: "new"}); err == nil || !strings.Contains(err.Error(), "unavailable") {
		t.Fatalf("submit while unhealthy: %v", err)
	}
	if code, ra, body := get(t, n.URL()+"/v1/health"); code != http.StatusServiceUnavailable || ra == "" ||
		!strings.Contains(string(body), "input/output error") || !strings.Contains(string(body), `"status":"failing"`) {
		t.Fatalf("health while unhealthy: %d %q %s", code, ra, body)
	}
	if code, _, body := get(t, n.URL()+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz while unhealthy: %d %s", code, body)
	}
	if code, _, body := get(t, n.URL()+"/v1/modules"); code != http.StatusOK {
		t.Fatalf("reads while unhealthy: %d %s", code, body)
	}
	if code, _, body := get(t, n.URL()+"/healthz"); code != http.StatusOK {
		t.Fatalf("healthz while unhealthy: %d %s", code, body)
	}

	// The fault clears; the rounds notice by themselves.
	n.Health().InjectFault("store", nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, _ := get(t, n.URL()+"/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still unready after the fault cleared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if out, err := c.Invoke(ctx, "echo", []byte("back"), nil); err != nil || string(out.Output) != "back" {
		t.Fatalf("invoke after recovery: %v %+v", err, out)
	}
	if r, err := c.WaitTask(ctx, task.ID); err != nil || string(r.Output) != "kept" {
		t.Fatalf("the task accepted before the fault: %v %+v", err, r)
	}
	code, _, body := get(t, n.URL()+"/v1/health")
	if code != http.StatusOK || !strings.Contains(string(body), "input/output error") {
		t.Errorf("health after recovery keeps the last error: %d %s", code, body)
	}
	_, _, metrics := get(t, n.URL()+"/metrics")
	if !strings.Contains(string(metrics), "nexus_refused_unhealthy_total 2") {
		t.Errorf("refusals not counted:\n%s", grepLines(string(metrics), "nexus_refused"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
