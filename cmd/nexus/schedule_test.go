package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// scheduleRuns fetches a schedule's runs, oldest first.
func scheduleRuns(t *testing.T, d *daemon, name string) []struct {
	Due     time.Time `json:"due"`
	TaskID  string    `json:"task_id"`
	Outcome string    `json:"outcome"`
} {
	t.Helper()
	resp, err := http.Get(d.url + "/v1/schedules/" + name + "?runs=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		Runs []struct {
			Due     time.Time `json:"due"`
			TaskID  string    `json:"task_id"`
			Outcome string    `json:"outcome"`
		} `json:"runs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(s.Runs)-1; i < j; i, j = i+1, j-1 {
		s.Runs[i], s.Runs[j] = s.Runs[j], s.Runs[i]
	}
	return s.Runs
}

// TestScheduleCLI drives nexus schedule against a real server.
func TestScheduleCLI(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	must(nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm"))
	out := must(nexus(t, d, "schedule", "add", "nightly", "--cron", "30 2 * * *", "--timezone", "Europe/Berlin",
		"--module", "echo", "--data", "hello", "--overlap", "buffer_one"))
	if !strings.HasPrefix(out, "created nightly: 30 2 * * * (Europe/Berlin), next due ") {
		t.Fatalf("add: %q", out)
	}
	must(nexus(t, d, "schedule", "add", "often", "--every", "1h", "--task", `{"module":"echo","priority":7}`, "--paused"))
	out = must(nexus(t, d, "schedule", "ls"))
	if !regexp.MustCompile(`(?m)^nightly\s+30 2 \* \* \* \(Europe/Berlin\)\s+buffer_one\s+one\s+active\s`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^often\s+every 1h0m0s\s+skip\s+one\s+paused\s+paused$`).MatchString(out) {
		t.Fatalf("ls:\n%s", out)
	}
	if out := must(nexus(t, d, "schedule", "resume", "often")); !strings.HasPrefix(out, "resumed often: every 1h0m0s, next due") {
		t.Fatalf("resume: %q", out)
	}
	if out := must(nexus(t, d, "schedule", "pause", "often")); out != "paused often: every 1h0m0s, paused\n" {
		t.Fatalf("pause: %q", out)
	}
	if out := must(nexus(t, d, "schedule", "get", "often")); !strings.HasPrefix(out, "often: every 1h0m0s, overlap skip, catch-up one, paused\n") {
		t.Fatalf("get paused: %q", out)
	}
	if out := must(nexus(t, d, "schedule", "get", "nightly")); !strings.Contains(out, `task: {"module":"echo","input":"hello"}`) {
		t.Fatalf("get: %q", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"schedule", "add", "bad", "--cron", "* * 99 * *", "--module", "echo"}, "invalid_request (400)"},
		{[]string{"schedule", "add", "bad", "--every", "1s", "--task", `{"module":"echo","idempotency_key":"k"}`}, "idempotency_key"},
		{[]string{"schedule", "add", "bad", "--every", "1s", "--task", `{"modul":"echo"}`}, "invalid_request (400)"},
		{[]string{"schedule", "add", "nightly", "--every", "1h", "--module", "echo"}, "conflict (409)"},
		{[]string{"schedule", "rm", "nope"}, "schedule_not_found (404)"},
	} {
		if out, err := nexus(t, d, tc.args...); err == nil || !strings.Contains(out, tc.want) {
			t.Fatalf("%v: %v %q, want %q", tc.args, err, out, tc.want)
		}
	}
	if out := must(nexus(t, d, "schedule", "rm", "nightly")); out != "deleted nightly\n" {
		t.Fatalf("rm: %q", out)
	}
	d.stop(t, os.Interrupt)
}

// TestScheduleExactlyOnceAcrossKills runs a schedule due every second on a
// real `nexus serve` child process, SIGKILLs the server a few times just
// after a due moment (while that due time is being fired) and restarts it.
// Every due time from the first run to the last is fired exactly once:
// the runs are consecutive seconds, each with its own task, and the task
// system holds exactly one task per due time, with its idempotency key.
func TestScheduleExactlyOnceAcrossKills(t *testing.T) {
	must := mustf(t)
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)
	must(nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm"))
	must(nexus(t, d, "schedule", "add", "tick", "--every", "1s", "--module", "echo", "--data", "tick",
		"--overlap", "allow", "--catch-up", "all"))
	waitRuns := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); len(scheduleRuns(t, d, "tick")) < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d runs:\n%s", n, d.log())
			}
		}
	}
	waitRuns(1)
	// Kill just after a due moment: the timer wakes at the due time and the
	// firing (record the decision, submit, record the task) takes about a
	// millisecond or two.
	for i, offset := range []time.Duration{300 * time.Microsecond, 900 * time.Microsecond, 1800 * time.Microsecond} {
		next := time.Now().Truncate(time.Second).Add(time.Second)
		time.Sleep(time.Until(next.Add(offset)))
		d.cmd.Process.Kill()
		<-d.done
		d = startDaemon(t, dataDir)
		waitRuns(1) // the schedule is loaded
		t.Logf("SIGKILL %d at due %s + %s; firing interrupted: %v", i+1, next.Format("15:04:05"), offset,
			strings.Contains(d.log(), "completing a firing interrupted"))
	}
	last := len(scheduleRuns(t, d, "tick"))
	waitRuns(last + 1)
	d.stop(t, os.Interrupt)
	d = startDaemon(t, dataDir)
	defer d.stop(t, os.Interrupt)
	must(nexus(t, d, "schedule", "pause", "tick"))

	runs := scheduleRuns(t, d, "tick")
	ids := map[string]time.Time{}
	for i, r := range runs {
		if r.Outcome != "running" && r.Outcome != "finished" || r.TaskID == "" {
			t.Fatalf("run %d: %+v\n%s", i, r, d.log())
		}
		if i > 0 && r.Due.Sub(runs[i-1].Due) != time.Second {
			t.Fatalf("run %d due %s after %s: a due time was lost or repeated\n%s", i, r.Due, runs[i-1].Due, d.log())
		}
		if prev, dup := ids[r.TaskID]; dup {
			t.Fatalf("task %s is the run of %s and %s", r.TaskID, prev, r.Due)
		}
		ids[r.TaskID] = r.Due
	}
	resp, err := http.Get(d.url + "/v1/tasks?module=echo&limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Tasks []struct {
			ID             string `json:"id"`
			IdempotencyKey string `json:"idempotency_key"`
		} `json:"tasks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list.Tasks) != len(runs) {
		t.Fatalf("%d tasks for %d due times", len(list.Tasks), len(runs))
	}
	for _, task := range list.Tasks {
		due, ok := ids[task.ID]
		if want := fmt.Sprintf("schedule/tick/%d", due.Unix()); !ok || task.IdempotencyKey != want {
			t.Fatalf("task %s key %q: not the run of a due time (%v, want %s)", task.ID, task.IdempotencyKey, ok, want)
		}
	}
	t.Logf("%d due times from %s to %s, each fired once across 3 SIGKILLs and a restart", len(runs),
		runs[0].Due.Format("15:04:05"), runs[len(runs)-1].Due.Format("15:04:05"))
}
