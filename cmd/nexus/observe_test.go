package main_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/telemetry/otlptest"
)

// TestMetricsAndTimelineCLI: nexus metrics shows the server's figures as
// a table (filtered) or its JSON; nexus task timeline draws a task's
// phases as a Gantt chart.
func TestMetricsAndTimelineCLI(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	must := mustf(t)
	must(nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm"))
	must(nexus(t, d, "module", "push", "longjob", "../../examples/wat/longjob/longjob.wasm"))
	must(nexus(t, d, "invoke", "echo", "--data", "hi"))
	out := must(nexus(t, d, "metrics", "nexus_invocations"))
	if !strings.Contains(out, "nexus_invocations_total") || !strings.Contains(out, "module=echo,outcome=ok") ||
		strings.Contains(out, "go_goroutines") || !strings.Contains(out, "NAME") {
		t.Fatalf("nexus metrics nexus_invocations:\n%s", out)
	}
	out = must(nexus(t, d, "metrics", "nexus_invocation_duration"))
	if !strings.Contains(out, "count=1") || !strings.Contains(out, "p99=") {
		t.Fatalf("histogram line:\n%s", out)
	}
	var fams []struct{ Name string }
	if err := json.Unmarshal([]byte(must(nexus(t, d, "metrics", "--json", "nexus_modules"))), &fams); err != nil || len(fams) != 1 || fams[0].Name != "nexus_modules" {
		t.Fatalf("nexus metrics --json: %v %+v", err, fams)
	}

	id := strings.TrimSpace(must(nexus(t, d, "task", "submit", "longjob", "--data", "250", "--json")))
	var task struct{ ID string }
	if err := json.Unmarshal([]byte(id), &task); err != nil || task.ID == "" {
		t.Fatalf("submit: %v %s", err, id)
	}
	res, err := http.Get(d.url + "/v1/tasks/" + task.ID + "/result?wait=60s")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	out = must(nexus(t, d, "task", "timeline", task.ID))
	for _, want := range []string{"task " + task.ID + " (longjob) succeeded", "submitted", "running #1", "checkpoint #1", "24 bytes", "succeeded #1", "[", "="} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
	if _, err := nexus(t, d, "task", "timeline", "nosuchtask"); err == nil {
		t.Error("timeline of an unknown task succeeded")
	}
}

// TestMinFreeDiskRefusesWork: the real binary with --min-free-disk above
// what its file system has free refuses new work with 503 unavailable
// (the CLI exits 1 and says so), keeps serving reads, and says why on
// /readyz and GET /v1/health.
func TestMinFreeDiskRefusesWork(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "--min-free-disk", "1000000TiB")
	out, err := nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm")
	if err == nil || !strings.Contains(out, "unavailable") || !strings.Contains(out, "disk") {
		t.Fatalf("push with the disk below its minimum: %v\n%s", err, out)
	}
	if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit status %v, want 1", err)
	}
	must := mustf(t)
	must(nexus(t, d, "module", "ls"))
	res, err := http.Get(d.url + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(body), `"name":"disk","status":"failing"`) || !strings.Contains(string(body), "below the minimum") {
		t.Fatalf("GET /v1/health: %d %s", res.StatusCode, body)
	}
	res, err = http.Get(d.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz %d", res.StatusCode)
	}
}

// TestTraceJoinedAfterRestart: a durable task submitted with a
// traceparent to the real binary, due after that process has stopped,
// runs in the next process on the same data directory and exports its
// attempt's spans in the submitter's trace: POST /v1/tasks (from the
// first process) → queue → executor.wait → instantiate → run → commit
// (from the second), to a real OTLP/HTTP receiver.
func TestTraceJoinedAfterRestart(t *testing.T) {
	rcv := otlptest.New()
	defer rcv.Close()
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50") // export within 50 ms of a span's end
	dir := t.TempDir()
	flags := []string{"--otel-endpoint", rcv.URL(), "--otel-sample", "1"}
	d := startDaemon(t, dir, flags...)
	must := mustf(t)
	must(nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm"))
	const trace, parent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	req, _ := http.NewRequest(http.MethodPost, d.url+"/v1/tasks", strings.NewReader(`{"module":"echo","input":"later","delay_ms":4000}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+trace+"-"+parent+"-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var task struct{ ID string }
	json.NewDecoder(res.Body).Decode(&task)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted || task.ID == "" {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	d.stop(t, syscall.SIGTERM)

	d = startDaemon(t, dir, flags...)
	if rec := must(nexus(t, d, "task", "get", task.ID)); !strings.Contains(rec, "scheduled") {
		t.Fatalf("the task is not waiting in the second process:\n%s", rec)
	}
	// The result's long poll, bounded, rather than nexus task wait.
	res, err = http.Get(d.url + "/v1/tasks/" + task.ID + "/result?wait=60s")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the task's result: %d", res.StatusCode)
	}
	spans, ok := rcv.Wait(30*time.Second, func(s []otlptest.Span) bool {
		for _, c := range otlptest.Named(s, "commit") {
			if c.TraceID == trace {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no commit span in the submitter's trace among %d spans", len(spans))
	}
	var commit otlptest.Span
	for _, c := range otlptest.Named(spans, "commit") {
		if c.TraceID == trace {
			commit = c
		}
	}
	want := "[" + parent + "] → POST /v1/tasks → queue → executor.wait → instantiate → run → commit"
	if got := otlptest.Path(spans, commit); got != want {
		t.Fatalf("span path:\n got %s\nwant %s", got, want)
	}
	for p, ok := commit, true; ok; p, ok = otlptest.ByID(spans, p.ParentSpanID) {
		if p.TraceID != trace {
			t.Errorf("%s in trace %s", p.Name, p.TraceID)
		}
		if p.Name == "queue" && (p.Attrs["nexus.task.id"] != task.ID || p.End.Sub(p.Start) < 3*time.Second) {
			t.Errorf("queue span %+v: the task waited 4s from its submission", p)
		}
	}
}

// TestMetricsWatch: nexus metrics --watch redraws the table every
// --interval until interrupted, then exits 0.
func TestMetricsWatch(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	cmd := exec.Command(nexusBin, "metrics", "--watch", "--interval", "20ms", "nexus_modules")
	cmd.Env = append(os.Environ(), "NEXUS_SERVER="+d.url)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	screens := 0
	for sc.Scan() && screens < 3 {
		if strings.Contains(sc.Text(), "nexus_modules") && strings.Contains(sc.Text(), " 0") {
			screens++
		}
	}
	if screens < 3 {
		t.Fatalf("%d screens before the output ended", screens)
	}
	cmd.Process.Signal(os.Interrupt)
	go io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("interrupted watch: %v", err)
	}
}
