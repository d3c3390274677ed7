package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/server"
)

// TestUploadIsolation uploads the Go echo reactor with isolation=warm and
// checks the version JSON, that invocations answer and report the
// initialisation's fuel once (the instance is reused), that the setting
// survives a restart, and that an unknown isolation is refused.
func TestUploadIsolation(t *testing.T) {
	dir := t.TempDir()
	in := start(t, dir, server.Config{})
	wasm := readFile(t, "../examples/go/echoreactor/echoreactor.wasm")
	resp, body := do(t, http.MethodPost, in.URL+"/v1/modules/bad?isolation=shared", "application/wasm", wasm)
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, body) != "invalid_request" {
		t.Fatalf("isolation=shared: %s %s", resp.Status, body)
	}
	resp, v := upload(t, in.URL, "echo?isolation=warm", wasm)
	if resp.StatusCode != http.StatusCreated || v.Isolation != host.IsolationWarm {
		t.Fatalf("upload: %s %+v", resp.Status, v)
	}
	fuel := func() int64 {
		t.Helper()
		resp, out := do(t, http.MethodPost, in.URL+"/v1/modules/echo/invoke", "", []byte("warm"))
		if resp.StatusCode != http.StatusOK || string(out) != "warm" {
			t.Fatalf("invoke: %s %q", resp.Status, out)
		}
		n, err := strconv.ParseInt(resp.Header.Get(server.HeaderFuelUsed), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	first, second, third := fuel(), fuel(), fuel()
	// A reused instance's state (here the Go heap) persists, so later runs
	// need not use the same fuel, but none repeats the initialisation.
	if first < 10*second || first < 10*third {
		t.Fatalf("fuel %d, %d, %d: want the initialisation charged to the first task only", first, second, third)
	}
	in.stop()
	in = start(t, dir, server.Config{})
	_, body = do(t, http.MethodGet, in.URL+"/v1/modules/echo", "", nil)
	var got struct {
		Versions []struct {
			Isolation string `json:"isolation"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &got); err != nil || len(got.Versions) != 1 || got.Versions[0].Isolation != "warm" {
		t.Fatalf("after restart: %v %s", err, body)
	}
}

// TestUploadIsolationWASICommand: a wasi-command module never runs warm, so
// isolation=warm on one is a 400 that says why, and no version is stored.
func TestUploadIsolationWASICommand(t *testing.T) {
	in := start(t, t.TempDir(), server.Config{})
	resp, body := do(t, http.MethodPost, in.URL+"/v1/modules/echo?isolation=warm", "application/wasm",
		readFile(t, "../examples/wat/echo.wasm"))
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, body) != "invalid_request" ||
		!strings.Contains(string(body), "only nexus-v1 modules support") {
		t.Fatalf("wasi-command isolation=warm: %s %s", resp.Status, body)
	}
	if resp, body := do(t, http.MethodGet, in.URL+"/v1/modules/echo", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("after refusal: %s %s", resp.Status, body)
	}
}
