package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSharedFlagsLive: the shared task flags reach the server with the
// same meaning from nexus invoke, nexus task submit and nexus schedule
// create, and nexus invoke --json prints the result or the error shape.
func TestSharedFlagsLive(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir(), "--memory", "32MiB", "--max-memory", "256MiB", "--fuel", "1e9")
	must(nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm"))
	must(nexus(t, d, "module", "push", "exit3", "../../host/testdata/exit3.wasm"))
	flags := []string{"--priority", "7", "--category", "batch", "--memory", "16MiB", "--fuel", "1e8", "--timeout", "5s"}

	var res struct {
		TaskID        string  `json:"task_id"`
		ModuleVersion int     `json:"module_version"`
		FuelUsed      int64   `json:"fuel_used"`
		Output        *string `json:"output"`
	}
	out := must(nexus(t, d, append([]string{"invoke", "echo", "-d", "hi", "--json"}, flags...)...))
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Output == nil || *res.Output != "hi" || res.TaskID == "" ||
		res.ModuleVersion != 1 || res.FuelUsed <= 0 {
		t.Fatalf("invoke --json: %v %q", err, out)
	}
	// Above the server's --max-memory (given in units too): refused.
	if out, err := nexus(t, d, "invoke", "echo", "--memory", "1GiB"); err == nil || !strings.Contains(out, "invalid_request") {
		t.Fatalf("invoke above --max-memory: %v %q", err, out)
	}

	// A failed invocation with --json: the error shape on stdout, nothing
	// on stderr, the guest's exit code as the status.
	cmd := exec.Command(nexusBin, "invoke", "exit3", "--json")
	cmd.Env = append(os.Environ(), "NEXUS_SERVER="+d.url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	var eb struct {
		Error struct {
			Code     string `json:"code"`
			ExitCode *int   `json:"exit_code"`
			TaskID   string `json:"task_id"`
		} `json:"error"`
	}
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || stderr.Len() != 0 || json.Unmarshal(stdout.Bytes(), &eb) != nil ||
		eb.Error.Code != "exit_nonzero" || eb.Error.ExitCode == nil || *eb.Error.ExitCode != 3 || eb.Error.TaskID == "" {
		t.Fatalf("invoke --json of a failing task: %v\nstdout %q\nstderr %q", err, stdout.String(), stderr.String())
	}

	var sub struct {
		ID string `json:"id"`
	}
	out = must(nexus(t, d, append([]string{"task", "submit", "echo", "-d", "hi", "--json"}, flags...)...))
	if err := json.Unmarshal([]byte(out), &sub); err != nil || sub.ID == "" {
		t.Fatalf("task submit --json: %v %q", err, out)
	}
	var rec struct {
		Priority    int    `json:"priority"`
		Category    string `json:"category"`
		MemoryBytes int64  `json:"memory_bytes"`
		Fuel        int64  `json:"fuel"`
		TimeoutMs   int64  `json:"timeout_ms"`
	}
	if err := json.Unmarshal([]byte(must(nexus(t, d, "task", "get", sub.ID))), &rec); err != nil ||
		rec != (struct {
			Priority    int    `json:"priority"`
			Category    string `json:"category"`
			MemoryBytes int64  `json:"memory_bytes"`
			Fuel        int64  `json:"fuel"`
			TimeoutMs   int64  `json:"timeout_ms"`
		}{7, "batch", 16 << 20, 1e8, 5000}) {
		t.Fatalf("task submitted with the shared flags: %+v %v", rec, err)
	}
	// The old spelling of --data.
	id := strings.Fields(must(nexus(t, d, "task", "submit", "echo", "--input-string", "old")))[0]
	if out := must(nexus(t, d, "task", "wait", id)); out != "old" {
		t.Fatalf("task submit --input-string: %q", out)
	}

	var sched struct {
		Task json.RawMessage `json:"task"`
	}
	out = must(nexus(t, d, append([]string{"schedule", "create", "s", "--every", "1h", "--paused", "--module", "echo", "-d", "hi", "--json"}, flags...)...))
	if err := json.Unmarshal([]byte(out), &sched); err != nil ||
		string(sched.Task) != `{"module":"echo","input":"hi","priority":7,"fuel":100000000,"memory_bytes":16777216,"timeout_ms":5000,"category":"batch"}` {
		t.Fatalf("schedule create with the shared flags: %v %q", err, out)
	}
	if out, err := nexus(t, d, "schedule", "add", "t", "--every", "1h", "--task", `{"module":"echo"}`, "--priority", "3"); err == nil ||
		!strings.Contains(out, "--priority: put it in the --task JSON") {
		t.Fatalf("schedule add --task with a task flag: %v %q", err, out)
	}
	d.stop(t, os.Interrupt)
}
