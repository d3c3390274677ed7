package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/node"
)

// workflowNode starts a node with the workflow step guest as module
// "step".
func workflowNode(tb testing.TB) (*node.Node, *client.Client) {
	tb.Helper()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", tb.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	c, err := client.New(n.URL())
	if err != nil {
		tb.Fatal(err)
	}
	wasm, err := os.ReadFile("../../examples/workflows/step.wasm")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.PushModule(context.Background(), "step", wasm, nil); err != nil {
		tb.Fatal(err)
	}
	return n, c
}

// waitWorkflow long-polls workflow id's result.
func waitWorkflow(tb testing.TB, c *client.Client, id string) []byte {
	tb.Helper()
	for {
		out, done, err := c.WorkflowResult(context.Background(), id, 30*time.Second)
		if err != nil {
			tb.Fatal(err)
		}
		if done {
			return out
		}
	}
}

const fanOut = 1000

// BenchmarkWorkflowFanOut compares, per operation, 1,000 trivial tasks
// submitted as a batch with a callback (fan-out and fan-in: the
// callback's task created in the transaction of the last outcome, and
// waited for) with the same 1,000 tasks submitted as a plain list and
// their results collected (POST /v1/tasks/results). Run with -count to
// alternate the two and compare with benchstat.
func BenchmarkWorkflowFanOut(b *testing.B) {
	_, c := workflowNode(b)
	ctx := context.Background()
	specs := make([]client.TaskSpec, fanOut)
	steps := make([]map[string]any, fanOut)
	for i := range specs {
		specs[i] = client.TaskSpec{Module: "step", Input: fmt.Sprint(i)}
		steps[i] = map[string]any{"module": "step", "input": fmt.Sprint(i)}
	}
	batch, _ := json.Marshal(map[string]any{"tasks": steps, "on": "complete",
		"callback": map[string]any{"module": "step", "config": map[string]string{"mode": "echo"}}})
	b.Run("shape=list", func(b *testing.B) {
		for b.Loop() {
			res, err := c.SubmitTasks(ctx, specs)
			if err != nil {
				b.Fatal(err)
			}
			ids := make([]string, len(res))
			for i, r := range res {
				ids[i] = r.ID
			}
			for len(ids) > 0 {
				rs, err := c.Results(ctx, ids, 30*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				ids = ids[:0]
				for _, r := range rs {
					if !r.Done() {
						ids = append(ids, r.ID)
					}
				}
			}
		}
	})
	b.Run("shape=batch", func(b *testing.B) {
		for b.Loop() {
			w, _, err := c.SubmitBatch(ctx, batch)
			if err != nil {
				b.Fatal(err)
			}
			waitWorkflow(b, c, w.ID)
			got, err := c.GetWorkflow(ctx, w.ID)
			if err != nil || got.CallbackTask == "" {
				b.Fatalf("callback: %+v %v", got, err)
			}
			if _, err := c.WaitTask(ctx, got.CallbackTask); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWorkflowChain runs 100-step chains of trivial tasks one after
// another, end to end (submission to result), and reports their median.
func BenchmarkWorkflowChain(b *testing.B) {
	_, c := workflowNode(b)
	ctx := context.Background()
	tasks := make([]map[string]any, 100)
	for i := range tasks {
		tasks[i] = map[string]any{"module": "step"}
	}
	tasks[0]["input"] = "x"
	body, _ := json.Marshal(map[string]any{"tasks": tasks})
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		w, _, err := c.SubmitChain(ctx, body)
		if err != nil {
			b.Fatal(err)
		}
		waitWorkflow(b, c, w.ID)
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000/99, "ms/hand-off")
}

// bigDAG is a tree of n steps (step i depends on step i/2) whose root
// waits an hour: nothing runs while it is measured.
func bigDAG(n int) []byte {
	steps := make([]map[string]any, n)
	for i := range steps {
		s := map[string]any{"id": fmt.Sprintf("s%d", i), "module": "step"}
		if i == 0 {
			s["delay_ms"] = time.Hour.Milliseconds()
		} else {
			s["depends_on"] = []string{fmt.Sprintf("s%d", i/2)}
		}
		steps[i] = s
	}
	body, _ := json.Marshal(map[string]any{"steps": steps})
	return body
}

// BenchmarkWorkflowAccept10k submits a 10,000-step DAG: the time to its
// 202 (validated whole, committed with its records).
func BenchmarkWorkflowAccept10k(b *testing.B) {
	_, c := workflowNode(b)
	ctx := context.Background()
	body := bigDAG(10000)
	for b.Loop() {
		w, _, err := c.SubmitWorkflow(ctx, body)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := c.CancelWorkflow(ctx, w.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// TestWorkflowHeapPerPendingStep measures the heap a submitted workflow
// holds per pending step (a 10,000-step DAG that waits) and bounds it.
func TestWorkflowHeapPerPendingStep(t *testing.T) {
	const n = 10000
	_, c := workflowNode(t)
	ctx := context.Background()
	body := bigDAG(n)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	// Once before measuring, so that lazily built state (the HTTP
	// connection, the module's compiled code) is not counted.
	w, _, err := c.SubmitWorkflow(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CancelWorkflow(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	before := heap()
	w, _, err = c.SubmitWorkflow(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	after := heap()
	per := float64(int64(after)-int64(before)) / n
	t.Logf("heap per pending step: %.0f bytes (%d steps pending)", per, w.Counts["pending"])
	const bound = 2048
	if per > bound {
		t.Fatalf("%.0f bytes of heap per pending step, more than %d", per, bound)
	}
}
