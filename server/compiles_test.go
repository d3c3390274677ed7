package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/server"
)

// TestCompileSlotsFull: with every compilation slot taken and no queue, an
// upload is answered 503 unavailable with Retry-After at once; once a slot
// is free the same upload is stored.
func TestCompileSlotsFull(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{MaxCompiles: 1, CompileQueue: -1})
	wasm := readFile(t, "../examples/wat/echo.wasm")
	release := server.HoldCompileSlots(in.srv)
	resp, body := do(t, "POST", in.URL+"/v1/modules/echo", "application/wasm", wasm)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"unavailable"`) || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("upload with every slot taken: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	release()
	if resp, _ := upload(t, in.URL, "echo", wasm); resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload with a free slot: %d", resp.StatusCode)
	}
}

// TestCompileQueueWaits: an upload beyond the slots waits in the queue and
// is stored when a slot frees, instead of being refused.
func TestCompileQueueWaits(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{MaxCompiles: 1, CompileQueue: 1})
	wasm := readFile(t, "../examples/wat/echo.wasm")
	release := server.HoldCompileSlots(in.srv)
	done := make(chan int, 1)
	go func() {
		resp, err := http.Post(in.URL+"/v1/modules/echo", "application/wasm", bytes.NewReader(wasm))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for server.CompileWaiting(in.srv) == 0 { // the upload has reached the queue
		select {
		case st := <-done:
			t.Fatalf("queued upload answered %d while every slot was held", st)
		case <-time.After(time.Millisecond):
		}
	}
	release()
	if st := <-done; st != http.StatusCreated {
		t.Fatalf("queued upload: %d", st)
	}
}

// recordHandler sends every log record with the attributes' text to a
// channel.
type recordHandler struct{ ch chan string }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	select {
	case h.ch <- b.String():
	default:
	}
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

// TestUploadCanceledByDisconnect: a client that goes away while its module
// compiles cancels the compilation: the upload ends as canceled, nothing
// is stored, and the slot is free again.
func TestUploadCanceledByDisconnect(t *testing.T) {
	logs := make(chan string, 64)
	in := start(t, t.TempDir(), server.Config{MaxCompiles: 1, CompileQueue: -1, Logger: slog.New(recordHandler{logs})})
	wasm := readFile(t, "../examples/go/echo/echo.wasm") // seconds of compilation
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", in.URL+"/v1/modules/goecho", &cancelAtEOF{r: bytes.NewReader(wasm), cancel: cancel})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(wasm))
	req.Header.Set("Content-Type", "application/wasm")
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("upload: %v", err)
	}
	for line := range logs {
		if strings.Contains(line, "/v1/modules/goecho") {
			if !strings.Contains(line, "status=422") { // canceled
				t.Fatalf("request line of the abandoned upload: %s", line)
			}
			break
		}
	}
	resp, body := do(t, "GET", in.URL+"/v1/modules/goecho", "", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("abandoned upload stored: %d %s", resp.StatusCode, body)
	}
	if resp, _ := upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload after the abandoned one: %d", resp.StatusCode)
	}
}

// cancelAtEOF reads r and cancels the request once the whole body is sent,
// so the server has it all and is compiling when the client goes away.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

// TestBackupEndpoint: GET /v1/admin/backup streams a consistent copy of
// the database while the server runs; the copy opens and holds the
// uploaded module.
func TestBackupEndpoint(t *testing.T) {
	dir := t.TempDir()
	in := start(t, dir, server.Config{})
	if resp, _ := upload(t, in.URL, "echo", readFile(t, "../examples/wat/echo.wasm")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	resp, body := do(t, "GET", in.URL+"/v1/admin/backup", "", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("backup: %d %v", resp.StatusCode, resp.Header)
	}
	restored := t.TempDir()
	if err := os.WriteFile(filepath.Join(restored, "nexus.db"), body, 0o600); err != nil {
		t.Fatal(err)
	}
	in2 := start(t, restored, server.Config{})
	resp, body = do(t, "GET", in2.URL+"/v1/modules/echo", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("module in the backup: %d %s", resp.StatusCode, body)
	}
}

// TestReadyzListsCorruptModules: a module whose stored bytes were damaged
// is listed on /readyz (the server stays ready and serves the others) and
// answers 500 data_damaged when invoked.
func TestReadyzListsCorruptModules(t *testing.T) {
	dir := t.TempDir()
	in := start(t, dir, server.Config{})
	wasm := readFile(t, "../examples/wat/echo.wasm")
	for _, name := range []string{"echo", "other"} {
		w := wasm
		if name == "other" {
			w = readFile(t, "../host/testdata/nexus_echo.wasm")
		}
		if resp, _ := upload(t, in.URL, name, w); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %s: %d", name, resp.StatusCode)
		}
	}
	in.stop()
	damageInFile(t, filepath.Join(dir, "nexus.db"), wasm)
	in = start(t, dir, server.Config{})
	resp, body := do(t, "GET", in.URL+"/readyz", "", nil)
	var ready struct {
		Status  string `json:"status"`
		Corrupt []struct {
			Name string `json:"name"`
		} `json:"corrupt_modules"`
	}
	if err := json.Unmarshal(body, &ready); err != nil || resp.StatusCode != http.StatusOK || len(ready.Corrupt) != 1 || ready.Corrupt[0].Name != "echo" {
		t.Fatalf("readyz: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", in.URL+"/v1/modules/echo/invoke", "", []byte("hi"))
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `"data_damaged"`) {
		t.Fatalf("invoke corrupt module: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "POST", in.URL+"/v1/modules/other/invoke", "", []byte("hi")); resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke intact module: %d", resp.StatusCode)
	}
	_, metrics := do(t, "GET", in.URL+"/metrics", "", nil)
	if !strings.Contains(string(metrics), `nexus_damaged_objects{kind="module"} 1`) {
		t.Fatalf("metrics do not count the damaged module")
	}
}

// damageInFile flips one byte in the middle of every copy of needle in the
// file at path, as a bad disk would.
func damageInFile(t *testing.T, path string, needle []byte) {
	t.Helper()
	data := readFile(t, path)
	n := 0
	for i := 0; ; {
		j := bytes.Index(data[i:], needle)
		if j < 0 {
			break
		}
		data[i+j+len(needle)/2] ^= 0x40
		i += j + len(needle)
		n++
	}
	if n == 0 {
		t.Fatalf("%s does not hold the bytes to damage", path)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
