package main_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
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

var sseConns = flag.Int("sse.conns", 1000, "idle SSE connections of TestIdleSSEConnections (the issue's full size is 10000; mind ulimit -n)")

// TestIdleSSEConnections opens many idle SSE streams to a real `nexus
// serve`: the server keeps serving (a task runs, its events reach the
// streams), and every stream ends when the server shuts down.
func TestIdleSSEConnections(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	must(nexus(t, d, "module", "push", "tt", "../../internal/tasks/testdata/tasktest.wasm"))
	addr := strings.TrimPrefix(d.url, "http://")
	conns := make([]net.Conn, 0, *sseConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	readers := make([]*bufio.Reader, 0, *sseConns)
	for i := range *sseConns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET /v1/events?type=task.succeeded HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", addr)
		readers = append(readers, bufio.NewReader(c))
	}
	// Every stream is open: its answer's head and the first comment came.
	for i, r := range readers {
		conns[i].SetReadDeadline(time.Now().Add(time.Minute))
		status, err := r.ReadString('\n')
		if err != nil || !strings.Contains(status, "200") {
			t.Fatalf("stream %d: %q %v", i, status, err)
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("stream %d: %v", i, err)
			}
			if strings.Contains(line, ": connected") {
				break
			}
		}
	}
	// The server still serves, and the streams get the events.
	out := must(nexus(t, d, "task", "submit", "tt", "--data", "n", "--wait"))
	if out != "" {
		t.Fatalf("task: %q", out)
	}
	for _, i := range []int{0, len(readers) / 2, len(readers) - 1} {
		for {
			line, err := readers[i].ReadString('\n')
			if err != nil {
				t.Fatalf("stream %d: %v", i, err)
			}
			if strings.HasPrefix(line, "event: task.succeeded") {
				break
			}
		}
	}
	// Shutdown ends every stream (it does not wait for them).
	d.stop(t, syscall.SIGTERM)
	for i, r := range readers {
		conns[i].SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Fatalf("stream %d after shutdown: %v", i, err)
		}
	}
}
