package main_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// apiError is the error shape of every failed request.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// do sends a request to the daemon and returns the status and body.
func (d *daemon) do(t *testing.T, method, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, d.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, d.log())
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// push uploads the module file as name and returns the status and body.
func (d *daemon) push(t *testing.T, name, file string) (int, []byte) {
	t.Helper()
	wasm, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return d.do(t, "POST", "/v1/modules/"+name, "application/wasm", wasm)
}

// errCode returns the error code of a failed request's body.
func errCode(body []byte) string {
	var e apiError
	json.Unmarshal(body, &e)
	return e.Error.Code
}

// TestServeHostileModules runs modules that try to take the server's memory
// through tables and to hold their upload in _initialize against a real
// `nexus serve`: each is stopped with its documented code, the server keeps
// serving, and a durable task that hit the limit stays failed after a
// SIGKILL and a restart instead of being run (and crashing the server)
// again.
func TestServeHostileModules(t *testing.T) {
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)

	if st, body := d.push(t, "tablegrow", "testdata/tablegrow.wasm"); st != http.StatusCreated {
		t.Fatalf("push tablegrow: %d %s", st, body)
	}
	st, body := d.do(t, "POST", "/v1/tasks", "application/json", []byte(`{"module":"tablegrow","max_retries":0}`))
	if st != http.StatusAccepted {
		t.Fatalf("submit: %d %s", st, body)
	}
	var sub struct{ ID string }
	if err := json.Unmarshal(body, &sub); err != nil || sub.ID == "" {
		t.Fatalf("submit: %s", body)
	}
	st, body = d.do(t, "GET", "/v1/tasks/"+sub.ID+"/result?wait=60s", "", nil)
	if st != http.StatusUnprocessableEntity || errCode(body) != "memory_limit" {
		t.Fatalf("table.grow of 2^31-1 elements: %d %s", st, body)
	}

	// A table larger than the task's memory quota is refused before it is
	// allocated; a smaller quota than the default makes no difference.
	if st, body := d.push(t, "bigtable", "testdata/bigtable.wasm"); st != http.StatusCreated {
		t.Fatalf("push bigtable: %d %s", st, body)
	}
	if st, body := d.do(t, "POST", "/v1/modules/bigtable/invoke", "", nil); st != http.StatusUnprocessableEntity || errCode(body) != "memory_limit" {
		t.Fatalf("invoke bigtable: %d %s", st, body)
	}

	// An _initialize that loops holds its upload only as long as the
	// snapshot's own budget, and the module still runs (each fresh
	// instance initialises itself, so the task times out).
	if st, body := d.push(t, "initloop", "testdata/initloop.wasm"); st != http.StatusCreated {
		t.Fatalf("push initloop: %d %s", st, body)
	}
	if st, body := d.do(t, "POST", "/v1/modules/initloop/invoke?timeout=50ms", "", nil); st != http.StatusUnprocessableEntity || errCode(body) != "timeout" {
		t.Fatalf("invoke initloop: %d %s", st, body)
	}

	d.cmd.Process.Kill()
	<-d.done
	d = startDaemon(t, dataDir)
	st, body = d.do(t, "GET", "/v1/tasks/"+sub.ID, "", nil)
	var rec struct {
		State     string `json:"state"`
		ErrorCode string `json:"error_code"`
	}
	if err := json.Unmarshal(body, &rec); err != nil || st != http.StatusOK || rec.ErrorCode != "memory_limit" || (rec.State != "failed" && rec.State != "dead") {
		t.Fatalf("after restart: %d %s", st, body)
	}
	if st, body := d.do(t, "GET", "/readyz", "", nil); st != http.StatusOK {
		t.Fatalf("readyz after restart: %d %s", st, body)
	}
}

// runServe runs `nexus serve` on dataDir with the flags until it exits or
// logs that it listens, and returns its log and whether it exited.
func runServe(t *testing.T, dataDir string, flags ...string) (log string, exited bool) {
	t.Helper()
	cmd := exec.Command(nexusBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, flags...)...)
	var out bytes.Buffer
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("serve exited 0:\n%s", out.String())
		}
		return out.String(), true
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		return out.String(), false
	}
}

// TestServeRefusesLostDatabase: a data file emptied (0 bytes) or removed
// while the data dir still holds compiled code is not silently replaced by
// an empty database: the server refuses to start and says what to do;
// --init starts it fresh and keeps the old file aside.
func TestServeRefusesLostDatabase(t *testing.T) {
	for _, damage := range []string{"empty", "missing"} {
		t.Run(damage, func(t *testing.T) {
			dataDir := t.TempDir()
			d := startDaemon(t, dataDir)
			if st, body := d.push(t, "echo", "../../examples/wat/echo.wasm"); st != http.StatusCreated {
				t.Fatalf("push: %d %s", st, body)
			}
			d.stop(t, syscall.SIGTERM)
			db := filepath.Join(dataDir, "nexus.db")
			switch damage {
			case "empty":
				if err := os.Truncate(db, 0); err != nil {
					t.Fatal(err)
				}
			case "missing":
				if err := os.Remove(db); err != nil {
					t.Fatal(err)
				}
			}
			log, exited := runServe(t, dataDir)
			if !exited || !strings.Contains(log, "nexus.db") || !strings.Contains(log, "--init") {
				t.Fatalf("serve over a lost database (exited %v):\n%s", exited, log)
			}
			d = startDaemon(t, dataDir, "--init")
			if out := mustf(t)(nexus(t, d, "module", "ls")); strings.Contains(out, "echo") {
				t.Fatalf("module ls after --init: %q", out)
			}
			if damage == "empty" {
				aside, _ := filepath.Glob(db + ".*")
				if len(aside) == 0 {
					t.Fatalf("the emptied file was not kept aside: %v", aside)
				}
			}
		})
	}
}

// TestServeRefusesDamagedDatabase: a data file cut in half or with its
// pages zeroed makes the server exit with an error naming the file and
// the commands that inspect or restore it, never a crash.
func TestServeRefusesDamagedDatabase(t *testing.T) {
	for _, damage := range []string{"truncated", "zeroed"} {
		t.Run(damage, func(t *testing.T) {
			dataDir := t.TempDir()
			d := startDaemon(t, dataDir)
			if st, body := d.push(t, "echo", "../../examples/wat/echo.wasm"); st != http.StatusCreated {
				t.Fatalf("push: %d %s", st, body)
			}
			for i := range 20 {
				if st, body := d.do(t, "POST", "/v1/tasks", "application/json", fmt.Appendf(nil, `{"module":"echo","input":"%d"}`, i)); st != http.StatusAccepted {
					t.Fatalf("submit: %d %s", st, body)
				}
			}
			d.stop(t, syscall.SIGTERM)
			db := filepath.Join(dataDir, "nexus.db")
			data, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			switch damage {
			case "truncated":
				// Half of the pages in use (the high-water mark of the
				// first meta page): bbolt grows the file ahead of its use,
				// so half of the file may cut only pages never written.
				pageSize := int(binary.LittleEndian.Uint32(data[16+8:]))
				inUse := int(binary.LittleEndian.Uint64(data[16+40:])) * pageSize
				data = data[:min(len(data), inUse)/2]
			case "zeroed":
				for i := 2 * 4096; i < len(data); i++ { // every page after the two meta pages
					data[i] = 0
				}
			}
			if err := os.WriteFile(db, data, 0o600); err != nil {
				t.Fatal(err)
			}
			log, exited := runServe(t, dataDir)
			if !exited || strings.Contains(log, "panic") || strings.Contains(log, "SIGSEGV") || !strings.Contains(log, "nexus.db") || !strings.Contains(log, "nexus store") {
				t.Fatalf("serve over a damaged database (exited %v):\n%s", exited, log)
			}
		})
	}
}
