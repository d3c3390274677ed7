package main_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTaskCLI drives every nexus task subcommand against a real server.
func TestTaskCLI(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	must(nexus(t, d, "module", "push", "tt", "../../internal/tasks/testdata/tasktest.wasm"))

	out := must(nexus(t, d, "task", "submit", "tt", "--input-string", "ccli", "--key", "k1", "--tag", "cli"))
	m := regexp.MustCompile(`^([0-9a-f]{32}) (queued|running|succeeded)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("submit: %q", out)
	}
	id := m[1]
	if out := must(nexus(t, d, "task", "wait", id)); out != "1" {
		t.Fatalf("wait: %q", out)
	}
	if out := must(nexus(t, d, "task", "submit", "tt", "--input-string", "ccli", "--key", "k1")); !strings.Contains(out, id) || !strings.Contains(out, "existing task") {
		t.Fatalf("resubmit with the key: %q", out)
	}
	if out := must(nexus(t, d, "task", "submit", "tt", "--input-string", "ccli", "--wait")); out != "2" {
		t.Fatalf("submit --wait: %q", out)
	}
	var rec struct {
		State    string `json:"state"`
		Attempts int    `json:"attempts"`
		Tags     []string
	}
	if err := json.Unmarshal([]byte(must(nexus(t, d, "task", "get", id))), &rec); err != nil || rec.State != "succeeded" || rec.Attempts != 1 {
		t.Fatalf("get: %+v %v", rec, err)
	}
	if out := must(nexus(t, d, "task", "ls", "--tag", "cli")); !regexp.MustCompile(`(?m)^` + id + `\s+succeeded\s+tt@1\s+1\s`).MatchString(out) {
		t.Fatalf("ls: %q", out)
	}

	// A failing task: wait prints the error, exit status 2; retry requeues
	// it.
	out = must(nexus(t, d, "task", "submit", "tt", "--input-string", "p", "--timeout", "1500ms", "--max-retries", "0"))
	failing := strings.Fields(out)[0]
	cmd := exec.Command(nexusBin, "task", "wait", failing)
	cmd.Env = append(cmd.Environ(), "NEXUS_SERVER="+d.url)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "timeout") {
		t.Fatalf("wait on a failing task: %v %q %q", err, stdout.String(), stderr.String())
	}
	// stderr is a pipe, not a terminal: no progress bar, no escape codes.
	if strings.ContainsAny(stderr.String(), "\r\x1b") || strings.Contains(stderr.String(), "1/4") {
		t.Fatalf("progress bar drawn into redirected stderr: %q", stderr.String())
	}
	if out := must(nexus(t, d, "task", "retry", failing)); out != failing+" queued\n" {
		t.Fatalf("retry: %q", out)
	}

	later := strings.Fields(must(nexus(t, d, "task", "submit", "tt", "--input-string", "ccli", "--delay", "1h")))[0]
	if out := must(nexus(t, d, "task", "cancel", later)); out != later+" canceled\n" {
		t.Fatalf("cancel: %q", out)
	}
	out, err = nexus(t, d, "task", "cancel", later)
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out, "conflict") {
		t.Fatalf("cancel again: %v %q", err, out)
	}
	out, err = nexus(t, d, "task", "get", "0123")
	if !errors.As(err, &ee) || !strings.Contains(out, "task_not_found") {
		t.Fatalf("get unknown: %v %q", err, out)
	}

	resp, err := http.Get(d.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"nexus_tasks_submitted_total 4", `nexus_tasks_finished_total{state="succeeded"} 2`,
		`nexus_tasks_finished_total{state="canceled"} 1`, `nexus_tasks{state="scheduled"} 0`} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics has no %q", want)
		}
	}
}

// TestTaskCLICacheTTL: task submit --cache-ttl against the real server,
// whose tasks share its result cache: the second identical task of a pure
// module is a hit; a module that is not pure is refused with a 400.
func TestTaskCLICacheTTL(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	must(nexus(t, d, "module", "push", "pe", "../../server/testdata/pure_echo.wasm"))
	must(nexus(t, d, "module", "push", "tt", "../../internal/tasks/testdata/tasktest.wasm"))
	var caches []string
	for range 2 {
		id := strings.Fields(must(nexus(t, d, "task", "submit", "pe", "--input-string", "once", "--cache-ttl", "5m")))[0]
		if out := must(nexus(t, d, "task", "wait", id)); out != "once" {
			t.Fatalf("wait: %q", out)
		}
		var rec struct {
			Cache string `json:"cache"`
		}
		if err := json.Unmarshal([]byte(must(nexus(t, d, "task", "get", id))), &rec); err != nil {
			t.Fatal(err)
		}
		caches = append(caches, rec.Cache)
	}
	if caches[0] != "miss" || caches[1] != "hit" {
		t.Fatalf("cache of two identical tasks: %q", caches)
	}
	out, err := nexus(t, d, "task", "submit", "tt", "--input-string", "cx", "--cache-ttl", "5m")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(out, "invalid_request") || !strings.Contains(out, "not declared pure") {
		t.Fatalf("impure module: %v %q", err, out)
	}
}

// TestTaskCLICancelRunning: nexus task cancel on a running task waits for
// its attempt to stop and says canceled, never running.
func TestTaskCLICancelRunning(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	must(nexus(t, d, "module", "push", "tt", "../../internal/tasks/testdata/tasktest.wasm"))
	id := strings.Fields(must(nexus(t, d, "task", "submit", "tt", "--data", "l", "--max-retries", "0")))[0]
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var rec struct {
			State string `json:"state"`
		}
		if err := json.Unmarshal([]byte(must(nexus(t, d, "task", "get", id))), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.State == "running" {
			break
		}
		if rec.State != "queued" || time.Now().After(deadline) {
			t.Fatalf("task %s is %s, not running", id, rec.State)
		}
	}
	if out := must(nexus(t, d, "task", "cancel", id)); out != id+" canceled\n" {
		t.Fatalf("cancel of a running task: %q", out)
	}
}
