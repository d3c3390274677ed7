package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/server"
)

// countInput is count.wasm's input: iterations as a little-endian u32.
func countInput(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }

func errorCode(t *testing.T, data []byte) string {
	t.Helper()
	var eb server.ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return eb.Error.Code
}

func TestPriorityParam(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	for _, q := range []string{"priority=10", "priority=-1", "priority=high", "category=Bad%20Name"} {
		resp, data := do(t, "POST", in.URL+"/v1/modules/echo/invoke?"+q, "", nil)
		if resp.StatusCode != 400 || errorCode(t, data) != "invalid_request" {
			t.Errorf("%s: %d %s", q, resp.StatusCode, data)
		}
	}
	resp, out := do(t, "POST", in.URL+"/v1/modules/echo/invoke?priority=9&category=batch", "", []byte("ok"))
	if resp.StatusCode != 200 || string(out) != "ok" {
		t.Fatalf("valid priority: %d %q", resp.StatusCode, out)
	}
}

// TestQueueFull fills a one-token executor with a running task and a
// queued one; the next invoke is refused with 429 queue_full and
// Retry-After, and both accepted tasks still complete.
func TestQueueFull(t *testing.T) {
	ecfg := executor.DefaultConfig()
	ecfg.Workers, ecfg.QueueCapacity = 1, 1
	// No time slicing: two equal-priority tasks taking turns on the token
	// would leave the queue's place free at each switch, and the third
	// task could take it.
	ecfg.Quantum = 0
	in := startWith(t, t.TempDir(), server.Config{}, ecfg)
	upload(t, in.URL, "count", readFile(t, "../host/testdata/count.wasm"))
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))

	// Two tasks far longer than the test (seconds of compute each) hold
	// the token and the queue's one place; they are canceled at the end,
	// so however slowly the machine runs, neither finishes before the
	// third task is refused.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "POST", in.URL+"/v1/modules/count/invoke?fuel=1e12&timeout=10m", bytes.NewReader(countInput(4_000_000_000)))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	waitMetric(t, in.URL, "nexus_executor_queue_depth", "1")
	resp, data := do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", []byte("x"))
	cancel()
	wg.Wait()
	if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, data) != "queue_full" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third task: %d %v %s", resp.StatusCode, resp.Header, data)
	}
	// The canceled tasks give their places back.
	waitMetric(t, in.URL, "nexus_executor_queue_depth", "0")
	if resp, _ := do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", []byte("x")); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the long tasks were canceled: %d", resp.StatusCode)
	}
}

func TestRateLimited(t *testing.T) {
	ecfg := executor.DefaultConfig()
	ecfg.Rates = map[string]executor.Rate{"slow": {PerSecond: 0.5, Burst: 1}}
	ecfg.SyncRateWait = 10 * time.Millisecond
	in := startWith(t, t.TempDir(), server.Config{}, ecfg)
	upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm"))
	if resp, _ := do(t, "POST", in.URL+"/v1/modules/echo/invoke?category=slow", "", nil); resp.StatusCode != 200 {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	resp, data := do(t, "POST", in.URL+"/v1/modules/echo/invoke?category=slow", "", nil)
	if resp.StatusCode != 429 || errorCode(t, data) != "rate_limited" || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("second: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), data)
	}
	if resp, _ := do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", nil); resp.StatusCode != 200 {
		t.Fatalf("another category is not limited: %d", resp.StatusCode)
	}
}

// TestPreemptionOverHTTP: on one token, a high-priority invoke suspends a
// running low-priority one, finishes first, and the low one reports the
// preemption and still gives the right output.
func TestPreemptionOverHTTP(t *testing.T) {
	ecfg := executor.DefaultConfig()
	ecfg.Workers = 1
	in := startWith(t, t.TempDir(), server.Config{}, ecfg)
	upload(t, in.URL, "count", readFile(t, "../host/testdata/count.wasm"))

	var mu sync.Mutex
	var order []string
	done := make(chan *http.Response, 1)
	go func() {
		resp, out := do(t, "POST", in.URL+"/v1/modules/count/invoke?priority=1", "", countInput(300_000_000))
		mu.Lock()
		order = append(order, "low")
		mu.Unlock()
		if resp.StatusCode != 200 || len(out) != 20 {
			t.Errorf("low: %d %q", resp.StatusCode, out)
		}
		done <- resp
	}()
	waitMetric(t, in.URL, "nexus_executor_running", "1")
	resp, out := do(t, "POST", in.URL+"/v1/modules/count/invoke?priority=9", "", countInput(1000))
	mu.Lock()
	order = append(order, "high")
	mu.Unlock()
	if resp.StatusCode != 200 || len(out) != 20 {
		t.Fatalf("high: %d %q", resp.StatusCode, out)
	}
	low := <-done
	if strings.Join(order, ",") != "high,low" || low.Header.Get(server.HeaderPreemptions) != "1" {
		t.Fatalf("order %v, low preemptions %q", order, low.Header.Get(server.HeaderPreemptions))
	}
}

// waitMetric waits until /metrics has a sample of name with value.
func waitMetric(t *testing.T, base, name, value string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, data := do(t, "GET", base+"/metrics", "", nil)
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, name) && strings.HasSuffix(line, " "+value) {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("metric %s never reached %s", name, value)
}
