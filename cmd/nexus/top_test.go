package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyOutput collects what a program writes to its terminal.
type ptyOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *ptyOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *ptyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the terminal shows each of texts.
func (o *ptyOutput) waitFor(t *testing.T, texts ...string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, missing := o.String(), ""
		for _, s := range texts {
			if !strings.Contains(out, s) {
				missing = s
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q:\n%s", missing, out)
		}
	}
}

// TestTop drives nexus top in a pseudo-terminal: it shows the server's
// figures, a failed task from the event stream, pauses, sorts, filters,
// and quits on q.
func TestTop(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	must(nexus(t, d, "module", "push", "printfail", "../../server/testdata/printfail.wasm"))

	cmd := exec.Command(nexusBin, "top", "--server", d.url, "--interval", "100ms")
	cmd.Env = append(os.Environ(), "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	out := &ptyOutput{}
	copied := make(chan struct{})
	go func() { defer close(copied); _, _ = bytes.NewBuffer(nil).ReadFrom(teeReader{tty, out}) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})

	out.waitFor(t, "NexusTask top", "throughput", "workers", "RUNNING (0)", "RECENT FAILURES")
	// A failed task arrives through the event stream.
	nexus(t, d, "task", "submit", "printfail", "-d", "tprinted first", "--max-retries", "0")
	out.waitFor(t, "printfail trap: ")

	tty.Write([]byte("p"))
	out.waitFor(t, "PAUSED")
	tty.Write([]byte("s"))
	out.waitFor(t, "sort: progress")
	tty.Write([]byte("/"))
	out.waitFor(t, "filter by module: _")
	tty.Write([]byte("echo"))
	out.waitFor(t, "filter by module: echo_")
	tty.Write([]byte("\r"))
	out.waitFor(t, `filter: "echo"`)
	tty.Write([]byte("q"))
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("nexus top exited with %v:\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("nexus top did not quit on q:\n%s", out.String())
	}
}

// teeReader copies what it reads from the terminal to out.
type teeReader struct {
	r   *os.File
	out *ptyOutput
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.out.Write(p[:n])
	return n, err
}
