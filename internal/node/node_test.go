package node_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/node"
)

// logBuffer is a log destination safe for concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startNode starts a node over dir on 127.0.0.1:0, logging to log (nil:
// discarded), and closes it when the test ends.
func startNode(t *testing.T, dir string, log io.Writer) *node.Node {
	t.Helper()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", dir
	cfg.Logger = slog.New(slog.DiscardHandler)
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

func newClient(t *testing.T, n *node.Node) *client.Client {
	t.Helper()
	c, err := client.New(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// TestNodeRestart: a node on a temporary directory and a free port takes
// a module over HTTP, invokes it, runs a durable task; after Close, a
// node started again on the same directory has both.
func TestNodeRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var log logBuffer
	n := startNode(t, dir, &log)
	if !strings.HasPrefix(n.Addr(), "127.0.0.1:") || strings.HasSuffix(n.Addr(), ":0") {
		t.Fatalf("Addr %q", n.Addr())
	}
	c := newClient(t, n)
	if err := c.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile("../../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "echo", wasm, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Invoke(ctx, "echo", []byte("hello"), nil); err != nil || string(res.Output) != "hello" {
		t.Fatalf("invoke: %v %+v", err, res)
	}
	task, err := c.SubmitTask(ctx, client.TaskSpec{Module: "echo", Input: "durable"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.WaitTask(ctx, task.ID); err != nil || string(res.Output) != "durable" {
		t.Fatalf("task: %v %+v", err, res)
	}
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"msg=listening addr=" + n.Addr(), "msg=ready", "msg=\"shutting down", "msg=\"database closed\""} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}

	n = startNode(t, dir, nil)
	c = newClient(t, n)
	if res, err := c.Invoke(ctx, "echo", []byte("again"), nil); err != nil || string(res.Output) != "again" {
		t.Fatalf("invoke after restart: %v %+v", err, res)
	}
	if res, err := c.Result(ctx, task.ID, 0); err != nil || res.State != client.StateSucceeded || string(res.Output) != "durable" {
		t.Fatalf("task after restart: %v %+v", err, res)
	}
}

// TestNodeLocked: a second node on a directory a running node holds fails
// with the store's lock error, and closes what it had built.
func TestNodeLocked(t *testing.T) {
	dir := t.TempDir()
	startNode(t, dir, nil)
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.Logger = "127.0.0.1:0", dir, slog.New(slog.DiscardHandler)
	if _, err := node.New(context.Background(), cfg); err == nil {
		t.Fatal("a second node opened a locked data directory")
	}
}

// TestStartFails: a node whose address is taken fails to start, and Close
// still releases its data directory.
func TestStartFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.Logger = ln.Addr().String(), dir, slog.New(slog.DiscardHandler)
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err == nil {
		t.Fatal("started on a taken address")
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	startNode(t, dir, nil) // the lock was released
}

// TestSlowHeadersCutOff: a client that starts its headers and stops is
// disconnected once ReadHeaderTimeout passes (short here only to keep the
// test quick: the client never finishes, so timing does not decide the
// outcome).
func TestSlowHeadersCutOff(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir, cfg.Logger = "127.0.0.1:0", t.TempDir(), slog.New(slog.DiscardHandler)
	cfg.ReadHeaderTimeout = 50 * time.Millisecond
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(context.Background())
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /v1/tasks HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// The server closes the connection (after an error response, if any).
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("reading until the server closed: %v", err)
	}
}

func TestValidate(t *testing.T) {
	ok := node.DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for _, tc := range []struct {
		name  string
		set   func(*node.Config)
		field string // "" : not one field's fault
	}{
		{"no data dir", func(c *node.Config) { c.DataDir = "" }, "DataDir"},
		{"negative cache", func(c *node.Config) { c.CacheBytes = -1 }, "CacheBytes"},
		{"negative budget", func(c *node.Config) { c.MemoryBudget = -1 }, "MemoryBudget"},
		{"bad weight", func(c *node.Config) { c.Weights = map[string]int{"a": 0} }, ""},
		{"negative fuel", func(c *node.Config) { c.DefaultFuel = -1 }, ""},
		{"negative lease", func(c *node.Config) { c.TaskLease = -time.Second }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := node.DefaultConfig()
			tc.set(&c)
			err := c.Validate()
			var fe *node.FieldError
			if err == nil || errors.As(err, &fe) != (tc.field != "") || (fe != nil && fe.Field != tc.field) {
				t.Fatalf("Validate: %v, want a refusal of %q", err, tc.field)
			}
		})
	}
}

// TestResultCacheOff: CacheBytes 0 builds no result cache.
func TestResultCacheOff(t *testing.T) {
	for _, size := range []int64{0, 1 << 20} {
		cfg := node.DefaultConfig()
		cfg.DataDir, cfg.CacheBytes, cfg.Logger = t.TempDir(), size, slog.New(slog.DiscardHandler)
		n, err := node.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if c := n.Cache(); (c == nil) != (size == 0) || (c != nil && c.MaxBytes() != size) {
			t.Errorf("CacheBytes %d: cache %v", size, c)
		}
		n.Close(context.Background())
	}
}
