package main_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var nexusBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nexus-bin")
	if err != nil {
		panic(err)
	}
	nexusBin = filepath.Join(dir, "nexus")
	if out, err := exec.Command("go", "build", "-o", nexusBin, ".").CombinedOutput(); err != nil {
		panic("building nexus: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is a `nexus serve` child process.
type daemon struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error
}

var listenRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startDaemon runs nexus serve on dataDir with the extra flags, and waits
// until it serves.
func startDaemon(t *testing.T, dataDir string, flags ...string) *daemon {
	t.Helper()
	d := &daemon{done: make(chan error, 1)}
	d.cmd = exec.Command(nexusBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, flags...)...)
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			d.logs.WriteString(line + "\n")
			d.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				ready <- "http://" + m[1]
			}
		}
		d.done <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	select {
	case d.url = <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start:\n%s", d.log())
	}
	// Wait until the registry is loaded.
	for i := 0; ; i++ {
		if _, err := nexus(t, d, "module", "ls"); err == nil {
			return d
		}
		if i > 300 {
			t.Fatalf("server not ready:\n%s", d.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logs.String()
}

// waitLog waits until d's log has each of lines.
func (d *daemon) waitLog(t *testing.T, lines ...string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		log, missing := d.log(), ""
		for _, l := range lines {
			if !strings.Contains(log, l) {
				missing = l
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", missing, log)
		}
	}
}

// stop sends sig and waits for the process to exit.
func (d *daemon) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	d.cmd.Process.Signal(sig)
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("server exited with %v:\n%s", err, d.log())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not exit:\n%s", d.log())
	}
}

// nexus runs the CLI against d and returns its stdout.
func nexus(t *testing.T, d *daemon, args ...string) (string, error) {
	t.Helper()
	return nexusIn(t, d, nil, args...)
}

func nexusIn(t *testing.T, d *daemon, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(nexusBin, args...)
	cmd.Env = append(os.Environ(), "NEXUS_SERVER="+d.url)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

// mustf returns a function that fails t when a CLI run failed.
func mustf(t *testing.T) func(string, error) string {
	return func(out string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return out
	}
}

func TestServeCLIRestart(t *testing.T) {
	must := mustf(t)
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)

	out := must(nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm"))
	if !strings.HasPrefix(out, "stored echo version 1 (wasi-command") {
		t.Fatalf("push: %q", out)
	}
	out = must(nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm"))
	if !strings.HasPrefix(out, "unchanged echo version 1") {
		t.Fatalf("push again: %q", out)
	}
	must(nexus(t, d, "module", "push", "spin", "../../host/testdata/spin.wasm"))
	must(nexus(t, d, "module", "push", "exit3", "../../host/testdata/exit3.wasm"))
	out = must(nexus(t, d, "module", "ls"))
	if !regexp.MustCompile(`(?m)^echo\s+1\s+wasi-command\s+293\s`).MatchString(out) || !strings.Contains(out, "spin") {
		t.Fatalf("ls: %q", out)
	}
	if out := must(nexusIn(t, d, []byte("from stdin"), "invoke", "echo", "--input", "-")); out != "from stdin" {
		t.Fatalf("invoke: %q", out)
	}
	if out := must(nexus(t, d, "invoke", "echo", "--data", "from flag")); out != "from flag" {
		t.Fatalf("invoke --data: %q", out)
	}
	out, err := nexus(t, d, "invoke", "exit3")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(out, "exit_nonzero") || !strings.Contains(out, "something went wrong") {
		t.Fatalf("failed task: %v %q", err, out)
	}
	out, err = nexus(t, d, "invoke", "nope")
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out, "module_not_found") {
		t.Fatalf("unknown module: %v %q", err, out)
	}
	// By default (--request-log all) every request is logged; the lines
	// reach stderr within --log-flush (100ms).
	d.waitLog(t, "path=/v1/modules/exit3/invoke status=422", "path=/v1/modules/nope/invoke status=404",
		"path=/v1/modules/echo/invoke status=200")

	// SIGTERM while a task is running: the task finishes, then the server
	// closes the database and exits 0.
	result := make(chan string, 1)
	go func() {
		out, err := nexus(t, d, "invoke", "spin")
		if err != nil {
			out = "error: " + err.Error() + ": " + out
		}
		result <- out
	}()
	waitInFlight(t, d)
	d.stop(t, syscall.SIGTERM)
	if out := <-result; out != "done" {
		t.Fatalf("in-flight invocation during shutdown: %q\n%s", out, d.log())
	}
	if !strings.Contains(d.log(), "database closed") {
		t.Fatalf("no clean close:\n%s", d.log())
	}

	// Restart on the same data dir: modules are there and run.
	d = startDaemon(t, dataDir)
	if out := must(nexus(t, d, "invoke", "echo", "--data", "after restart")); out != "after restart" {
		t.Fatalf("after restart: %q", out)
	}
	if out := must(nexus(t, d, "module", "get", "echo")); !strings.Contains(out, "sha256:48e1a1c2") {
		t.Fatalf("get: %q", out)
	}
	must(nexus(t, d, "module", "rm", "echo"))
	if out := must(nexus(t, d, "module", "ls")); strings.Contains(out, "echo ") {
		t.Fatalf("ls after rm: %q", out)
	}
	d.stop(t, os.Interrupt)
}

func TestServeBadLogFlags(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--request-log", "some", "--request-log: request log must be all, errors or off"},
		{"--log-flush", "-1s", "--log-flush must not be negative"},
		{"--pprof-addr", "127.0.0.1:99999", "--pprof-addr: listen tcp"},
	} {
		out, err := exec.Command(nexusBin, "serve", c.flag, c.value, "--data-dir", t.TempDir()).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%s %s: %v: %s", c.flag, c.value, err, out)
		}
	}
}

// waitInFlight waits until the daemon reports a running invocation.
func waitInFlight(t *testing.T, d *daemon) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(d.url + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), "nexus_invocations_in_flight 1") {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no invocation in flight:\n%s", d.log())
}

func TestServePprof(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "--pprof-addr", "127.0.0.1:0")
	d.waitLog(t, `msg="pprof listening"`)
	m := regexp.MustCompile(`msg="pprof listening" addr=(\S+)`).FindStringSubmatch(d.log())
	if m == nil {
		t.Fatalf("no pprof address in the log:\n%s", d.log())
	}
	get := func(url string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	if code, b := get("http://" + m[1] + "/debug/pprof/cmdline"); code != http.StatusOK || !strings.Contains(string(b), "serve") {
		t.Fatalf("cmdline: %d %q", code, b)
	}
	// A CPU profile of the server while it serves: gzip-compressed protobuf.
	if code, b := get("http://" + m[1] + "/debug/pprof/profile?seconds=1"); code != http.StatusOK || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile: %d, %d bytes", code, len(b))
	}
	// The API's own port does not serve them.
	if code, _ := get(d.url + "/debug/pprof/"); code != http.StatusNotFound {
		t.Fatalf("API port /debug/pprof/: %d, want 404", code)
	}
	d.stop(t, os.Interrupt)
}
