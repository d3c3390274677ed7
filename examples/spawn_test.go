package examples_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/examples/internal/exampletest"
	"github.com/nexustask/nexus/internal/node"
)

// TestSpawnExamples runs every language's spawn example on a real node:
// as a durable task and as a synchronous invoke, each spawning sha256
// children that are durable tasks, and with a child module that does not
// exist.
func TestSpawnExamples(t *testing.T) {
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
	push := func(name, path string) {
		t.Helper()
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PushModule(ctx, name, wasm, nil); err != nil {
			t.Fatalf("push %s: %v", path, err)
		}
	}
	push("sha256", exampletest.Path("wat", "sha256"))
	want := ""
	for _, line := range []string{"abc", "hello", "é"} {
		sum := sha256.Sum256([]byte(line))
		want += hex.EncodeToString(sum[:]) + "\n"
	}
	input := "abc\n\nhello\né"
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			name := "spawn-" + lang
			push(name, exampletest.Path(lang, "spawn"))
			task, err := c.SubmitTask(ctx, client.TaskSpec{Module: name, Input: input})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.WaitTask(ctx, task.ID)
			if err != nil || string(res.Output) != want {
				t.Fatalf("task: output %q, %v; want %q", res.Output, err, want)
			}
			inv, err := c.Invoke(ctx, name, []byte(input), nil)
			if err != nil || string(inv.Output) != want {
				t.Fatalf("invoke: output %q, %v; want %q", inv.Output, err, want)
			}
			task, err = c.SubmitTask(ctx, client.TaskSpec{Module: name, Input: "abc", Config: map[string]string{"child": "nope"}, MaxRetries: new(int)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.WaitTask(ctx, task.ID); err == nil {
				t.Fatal("a missing child module: the task succeeded")
			}
		})
	}
}
