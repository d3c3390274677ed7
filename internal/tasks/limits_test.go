package tasks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/tasks"
)

// occupyAll holds every worker token of e's executor with a priority-9
// job until the returned function is called.
func occupyAll(t *testing.T, e *env) (release func()) {
	t.Helper()
	stop := make(chan struct{})
	var hs []*executor.Handle
	for range e.exec.Stats().Tokens {
		started := make(chan struct{})
		h, err := e.exec.Submit(context.Background(), executor.Job{Priority: 9, Run: func(context.Context, executor.Yielder) error {
			close(started)
			<-stop
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		<-started
		hs = append(hs, h)
	}
	return func() {
		close(stop)
		for _, h := range hs {
			<-h.Done()
		}
	}
}

// TestQueueTimeoutMs: a task that waits for a worker longer than its
// queue_timeout_ms fails with code timeout, saying so, after one attempt
// and without retries.
func TestQueueTimeoutMs(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	release := occupyAll(t, e)
	defer release()
	r := e.submit(tasks.Spec{Module: "tt", Input: []byte("cq"), QueueTimeoutMs: 20, MaxRetries: ptr(3)})
	r = e.wait(r.ID)
	if r.State != tasks.Failed || r.ErrorCode != errkind.CodeTimeout || r.Attempts != 1 ||
		!strings.Contains(r.ErrorMessage, "queued") || !strings.Contains(r.ErrorMessage, "20ms") {
		t.Fatalf("record %s %s %q after %d attempts", r.State, r.ErrorCode, r.ErrorMessage, r.Attempts)
	}
	if e.kvCount("q") != 0 {
		t.Fatal("the task ran")
	}
}

// TestMemoryBudgetAtSubmit: a task whose memory quota exceeds the
// executor's whole memory budget is refused at submission with
// invalid_request, not accepted to wait forever.
func TestMemoryBudgetAtSubmit(t *testing.T) {
	t.Parallel()
	ecfg := executor.DefaultConfig()
	ecfg.MemoryBudget, ecfg.DefaultMemoryBytes = 128<<20, 64<<20
	e := openWith(t, t.TempDir(), tasks.Config{}, ecfg)
	_, _, err := e.svc.Submit(context.Background(), tasks.Spec{Module: "tt", Input: []byte("cm"), MemoryBytes: 256 << 20})
	if errkind.Code(err) != errkind.CodeInvalidRequest || !strings.Contains(err.Error(), "memory budget") {
		t.Fatalf("submit over the budget: %v", err)
	}
	r := e.wait(e.submit(tasks.Spec{Module: "tt", Input: []byte("cm"), MemoryBytes: 128 << 20}).ID)
	if r.State != tasks.Succeeded {
		t.Fatalf("within the budget: %s %s", r.State, r.ErrorMessage)
	}
}
