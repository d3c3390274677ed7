package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/server"
)

// TestInvokeQueueTimeout: with the only worker busy with a higher
// priority, an invoke with queue_timeout fails with 422 timeout saying it
// timed out queued, without running; timeout itself does not count the
// wait.
func TestInvokeQueueTimeout(t *testing.T) {
	ecfg := executor.DefaultConfig()
	ecfg.Workers = 1
	in := startWith(t, t.TempDir(), server.Config{}, ecfg)
	upload(t, in.URL, "count", readFile(t, "../host/testdata/count.wasm"))
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))

	ctx, cancel := context.WithCancel(context.Background())
	occupied := make(chan struct{})
	go func() {
		defer close(occupied)
		req, _ := http.NewRequestWithContext(ctx, "POST", in.URL+"/v1/modules/count/invoke?priority=9&timeout=1m", bytes.NewReader(countInput(4_000_000_000)))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	defer func() { cancel(); <-occupied }()
	waitMetric(t, in.URL, "nexus_executor_running", "1")

	for _, q := range []string{"queue_timeout=0", "queue_timeout=soon", "queue_timeout=-5ms"} {
		if resp, data := do(t, "POST", in.URL+"/v1/modules/echo/invoke?"+q, "", nil); resp.StatusCode != 400 || errorCode(t, data) != "invalid_request" {
			t.Errorf("%s: %d %s", q, resp.StatusCode, data)
		}
	}
	resp, data := do(t, "POST", in.URL+"/v1/modules/echo/invoke?queue_timeout=30ms&timeout=10ms", "", []byte("x"))
	if resp.StatusCode != 422 || errorCode(t, data) != "timeout" || !strings.Contains(string(data), "queued") ||
		resp.Header.Get(server.HeaderFuelUsed) != "" {
		t.Fatalf("queued invoke: %d %v %s", resp.StatusCode, resp.Header, data)
	}
}

// TestInvokeMemoryBudget: an invoke whose memory quota exceeds the
// executor's whole memory budget is refused with 400 invalid_request.
func TestInvokeMemoryBudget(t *testing.T) {
	ecfg := executor.DefaultConfig()
	ecfg.MemoryBudget, ecfg.DefaultMemoryBytes = 128<<20, 64<<20
	in := startWith(t, t.TempDir(), server.Config{}, ecfg)
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	resp, data := do(t, "POST", in.URL+"/v1/modules/echo/invoke?memory=256MiB", "", nil)
	if resp.StatusCode != 400 || errorCode(t, data) != "invalid_request" || !strings.Contains(string(data), "memory budget") {
		t.Fatalf("over the budget: %d %s", resp.StatusCode, data)
	}
	if resp, out := do(t, "POST", in.URL+"/v1/modules/echo/invoke?memory=128MiB", "", []byte("ok")); resp.StatusCode != 200 || string(out) != "ok" {
		t.Fatalf("within the budget: %d %s", resp.StatusCode, out)
	}
}
