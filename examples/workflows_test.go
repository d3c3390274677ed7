package examples_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/config"
	"github.com/nexustask/nexus/internal/node"
)

// stepHash is the workflow step guest's hash of in (FNV-1a 64, hex).
func stepHash(in string) string {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(in); i++ {
		h = (h ^ uint64(in[i])) * 0x100000001b3
	}
	const digits = "0123456789abcdef"
	out := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		out[i] = digits[h&15]
		h >>= 4
	}
	return string(out)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestWorkflowExamples submits each workflow example (one per shape) to a
// real node and checks its result.
func TestWorkflowExamples(t *testing.T) {
	nc := node.DefaultConfig()
	nc.Addr, nc.DataDir, nc.NoSnapshots = "127.0.0.1:0", t.TempDir(), true
	nc.Logger = slog.New(slog.DiscardHandler)
	n, err := node.New(context.Background(), nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.New(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile("workflows/step.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "step", wasm, nil); err != nil {
		t.Fatal(err)
	}
	for _, ex := range []struct {
		file   string
		submit func(*client.Client, context.Context, json.RawMessage) (*client.Workflow, bool, error)
		want   string
	}{
		{"chain.yaml", (*client.Client).SubmitChain, stepHash(stepHash("hello"))},
		{"dag.yaml", (*client.Client).SubmitWorkflow, `{"left":"` + b64(stepHash(stepHash("seed"))) + `","right":"` + b64(stepHash("right")) + `"}`},
		{"map.yaml", (*client.Client).SubmitWorkflow, `["` + b64(stepHash(`"x"`)) + `","` + b64(stepHash(`"y"`)) + `","` + b64(stepHash(`"z"`)) + `"]`},
	} {
		t.Run(ex.file, func(t *testing.T) {
			w := submitExample(t, c, ex.file, ex.submit)
			out := workflowOutput(t, c, w.ID)
			if string(out) != ex.want {
				t.Fatalf("result %s, want %s", out, ex.want)
			}
		})
	}
	t.Run("batch.yaml", func(t *testing.T) {
		w := submitExample(t, c, "batch.yaml", (*client.Client).SubmitBatch)
		workflowOutput(t, c, w.ID)
		got, err := c.GetWorkflow(ctx, w.ID)
		if err != nil || got.State != client.WorkflowSucceeded || got.CallbackTask == "" {
			t.Fatalf("batch: %+v %v", got, err)
		}
		res, err := c.WaitTask(ctx, got.CallbackTask)
		if err != nil {
			t.Fatal(err)
		}
		var sum struct {
			Outputs map[string]string `json:"outputs"`
		}
		if err := json.Unmarshal(res.Output, &sum); err != nil || sum.Outputs["t2"] != b64(stepHash("c")) {
			t.Fatalf("callback input %s: %v", res.Output, err)
		}
	})
}

func submitExample(t *testing.T, c *client.Client, file string, submit func(*client.Client, context.Context, json.RawMessage) (*client.Workflow, bool, error)) *client.Workflow {
	t.Helper()
	y, err := os.ReadFile("workflows/" + file)
	if err != nil {
		t.Fatal(err)
	}
	body, err := config.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	w, created, err := submit(c, context.Background(), body)
	if err != nil || !created {
		t.Fatalf("submit %s: %v", file, err)
	}
	return w
}

// workflowOutput long-polls a workflow's result.
func workflowOutput(t *testing.T, c *client.Client, id string) []byte {
	t.Helper()
	for range 60 {
		out, done, err := c.WorkflowResult(context.Background(), id, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return out
		}
	}
	t.Fatalf("workflow %s has not finished", id)
	return nil
}
