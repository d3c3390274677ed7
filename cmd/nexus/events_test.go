package main_test

import (
	"bufio"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEventsCLI drives nexus events and nexus webhook against a real
// server.
func TestEventsCLI(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	rcv := newHookReceiver()
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	if out := must(nexus(t, d, "webhook", "add", "cli", hs.URL, "--type", "task.*", "--secret", "whsec_c2VjcmV0")); !strings.Contains(out, "added webhook cli") {
		t.Fatalf("webhook add: %q", out)
	}
	// A follower started before the task sees its events live.
	follow := exec.Command(nexusBin, "events", "--follow", "--type", "task.succeeded", "--json")
	follow.Env = append(os.Environ(), "NEXUS_SERVER="+d.url)
	stdout, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer follow.Process.Kill()

	must(nexus(t, d, "module", "push", "tt", "../../internal/tasks/testdata/tasktest.wasm"))
	out := must(nexus(t, d, "task", "submit", "tt", "--input-string", "n", "--wait"))
	if out != "" {
		t.Fatalf("submit --wait: %q", out)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Type   string `json:"type"`
		TaskID string `json:"task_id"`
	}
	if err := json.Unmarshal([]byte(line), &e); err != nil || e.Type != "task.succeeded" {
		t.Fatalf("followed: %q %v", line, err)
	}
	out = must(nexus(t, d, "events", "--task", e.TaskID))
	if !regexp.MustCompile(`(?s)task\.submitted .*task\.queued .*task\.started .*task\.succeeded `).MatchString(out) || strings.Count(out, "\n") != 4 {
		t.Fatalf("events --task: %q", out)
	}
	out = must(nexus(t, d, "events", "--type", "module.*", "--json"))
	if !strings.Contains(out, `"type":"module.uploaded"`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("events --type module.*: %q", out)
	}
	out, err = nexus(t, d, "events", "--type", "nope")
	if err == nil || !strings.Contains(out, "invalid_request") || !strings.Contains(out, "unknown event type") {
		t.Fatalf("events --type nope: %v %q", err, out)
	}
	if out := must(nexus(t, d, "webhook", "ls")); !regexp.MustCompile(`(?m)^cli\s+` + regexp.QuoteMeta(hs.URL) + `\s+task\.\*\s+enabled\s`).MatchString(out) {
		t.Fatalf("webhook ls: %q", out)
	}
	if out := must(nexus(t, d, "webhook", "get", "cli")); !strings.Contains(out, "signed:   true") {
		t.Fatalf("webhook get: %q", out)
	}
	rcv.waitDistinct(4, time.Minute)
	if out := must(nexus(t, d, "webhook", "deliveries", "cli")); !regexp.MustCompile(`task\.succeeded\s+1\s+200\s`).MatchString(out) {
		t.Fatalf("webhook deliveries: %q", out)
	}
	out, err = nexus(t, d, "webhook", "add", "meta", "http://169.254.169.254/latest/meta-data")
	if err == nil || !strings.Contains(out, "invalid_request") || !strings.Contains(out, "link-local") {
		t.Fatalf("webhook add to the metadata address: %v %q", err, out)
	}
	must(nexus(t, d, "webhook", "rm", "cli"))
	if out, err := nexus(t, d, "webhook", "get", "cli"); err == nil || !strings.Contains(out, "not_found") {
		t.Fatalf("webhook get after rm: %v %q", err, out)
	}
}
