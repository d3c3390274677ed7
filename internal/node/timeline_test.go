package node_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/server"
)

// timeline fetches GET /v1/tasks/{id}/timeline.
func timeline(t *testing.T, n *node.Node, id string) server.Timeline {
	t.Helper()
	code, _, body := get(t, n.URL()+"/v1/tasks/"+id+"/timeline")
	if code != http.StatusOK {
		t.Fatalf("timeline: %d %s", code, body)
	}
	var tl server.Timeline
	if err := json.Unmarshal(body, &tl); err != nil {
		t.Fatal(err)
	}
	return tl
}

// phases returns the phase names in order, checking that they are
// ordered by start with durations that are not negative.
func phases(t *testing.T, tl server.Timeline) []string {
	t.Helper()
	var out []string
	for i, p := range tl.Phases {
		out = append(out, p.Phase)
		if p.DurationMs < 0 || i > 0 && p.Start.Before(tl.Phases[i-1].Start) {
			t.Errorf("phase %d %+v out of order or negative (%+v)", i, p, tl.Phases)
		}
	}
	return out
}

// TestTaskTimeline: a task's timeline, from the event log, has its
// phases in order: submitted, queued, waiting for a token, running, its
// checkpoints and its outcome; a task that failed and was retried has
// the retry with its error and the final outcome.
func TestTaskTimeline(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.RetryBackoff, cfg.RetryBackoffMax = time.Millisecond, time.Millisecond
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
	for name, path := range map[string]string{"longjob": "../../examples/wat/longjob/longjob.wasm", "trap": "../../server/testdata/pure_trap.wasm"} {
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PushModule(ctx, name, wasm, nil); err != nil {
			t.Fatal(err)
		}
	}

	task, err := c.SubmitTask(ctx, client.TaskSpec{Module: "longjob", Input: "250"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.WaitTask(ctx, task.ID); err != nil || res.State != client.StateSucceeded {
		t.Fatalf("longjob: %v %+v", err, res)
	}
	tl := timeline(t, n, task.ID)
	got := phases(t, tl)
	want := []string{"submitted", "queued", "waiting", "running", "checkpoint", "checkpoint", "succeeded"}
	if len(got) != len(want) {
		// The token may come in the same millisecond as the start: no wait.
		want = append(want[:2], want[3:]...)
	}
	if !equal(got, want) {
		t.Fatalf("phases %v, want %v", got, want)
	}
	if tl.TaskID != task.ID || tl.State != "succeeded" || tl.DurationMs < 0 || tl.End.Before(tl.Start) {
		t.Errorf("timeline %+v", tl)
	}
	for _, p := range tl.Phases {
		if p.Phase == "checkpoint" && p.CheckpointBytes != 24 {
			t.Errorf("checkpoint %+v", p)
		}
	}

	one := 1
	task, err = c.SubmitTask(ctx, client.TaskSpec{Module: "trap", Input: "x", MaxRetries: &one})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, task.ID); err == nil {
		t.Fatal("a trapping task succeeded")
	}
	tl = timeline(t, n, task.ID)
	if tl.State != "dead" {
		t.Fatalf("state %s", tl.State)
	}
	got = phases(t, tl)
	var retry, dead bool
	for _, p := range tl.Phases {
		switch p.Phase {
		case "retrying":
			retry = p.ErrorCode == "trap" && p.ErrorMessage != "" && p.Attempt == 1
		case "dead":
			dead = p.ErrorCode == "trap" && p.Attempt == 2
		}
	}
	if !retry || !dead || got[0] != "submitted" || got[len(got)-1] != "dead" {
		t.Fatalf("retried task's phases %v: %+v", got, tl.Phases)
	}
	if code, _, body := get(t, n.URL()+"/v1/tasks/nosuchtask/timeline"); code != http.StatusNotFound {
		t.Errorf("unknown task: %d %s", code, body)
	}
}
