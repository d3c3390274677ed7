package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/server"
)

// TestFailedOutputTail: a task that prints and then fails keeps the end of
// what it printed in its error, for an invocation and for a durable task
// (its record and its result, across a restart): all of it up to 4 KiB,
// the last 4 KiB with output_truncated past that.
func TestFailedOutputTail(t *testing.T) {
	dir := t.TempDir()
	in := start(t, dir, server.Config{})
	if resp, _ := upload(t, in.URL, "pf", readFile(t, "testdata/printfail.wasm")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	long := "x" + strings.Repeat("0123456789abcdef", 400) + "the end" // exits 7
	wantLong := long[len(long)-tasks.OutputTailBytes:]

	for _, tc := range []struct {
		input, code, output string
		truncated           bool
	}{
		{"tprinted before the trap\n", "trap", "tprinted before the trap\n", false},
		{"printed before exit 7", "exit_nonzero", "printed before exit 7", false},
		{long, "exit_nonzero", wantLong, true},
	} {
		resp, body := do(t, http.MethodPost, in.URL+"/v1/modules/pf/invoke", "application/octet-stream", []byte(tc.input))
		e := decodeError(t, body)
		if resp.StatusCode != http.StatusUnprocessableEntity || e.Code != tc.code || e.Output != tc.output ||
			e.OutputTruncated != tc.truncated || e.Logs != "failing now\n" || e.TaskID == "" {
			t.Fatalf("invoke %.20q: %d %.300s", tc.input, resp.StatusCode, body)
		}
		if tc.code == "exit_nonzero" && (e.ExitCode == nil || *e.ExitCode != 7) {
			t.Fatalf("invoke %.20q: exit code %v", tc.input, e.ExitCode)
		}
	}
	// A module that succeeds has no such field; nor does a refused request.
	resp, body := do(t, http.MethodPost, in.URL+"/v1/modules/nope/invoke", "", []byte("x"))
	if resp.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte(`"output"`)) {
		t.Fatalf("unknown module: %d %s", resp.StatusCode, body)
	}

	// Durable tasks: the tail is in the record and in the result's error.
	ids := map[string]string{}
	for name, input := range map[string]string{"short": "tprinted before the trap\n", "long": long} {
		spec, _ := json.Marshal(map[string]any{"module": "pf", "input": input, "max_retries": 0})
		resp, body := do(t, http.MethodPost, in.URL+"/v1/tasks", "application/json", spec)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("submit: %d %s", resp.StatusCode, body)
		}
		ids[name] = decode[server.TaskView](t, body).ID
	}
	checkDurable := func(in *instance, waitFor string) {
		t.Helper()
		for name, want := range map[string]struct {
			code, output string
			truncated    bool
		}{"short": {"trap", "tprinted before the trap\n", false}, "long": {"exit_nonzero", wantLong, true}} {
			resp, body := do(t, http.MethodGet, in.URL+"/v1/tasks/"+ids[name]+"/result"+waitFor, "", nil)
			e := decodeError(t, body)
			if resp.StatusCode != http.StatusUnprocessableEntity || e.Code != want.code || e.Output != want.output ||
				e.OutputTruncated != want.truncated || e.Logs != "failing now\n" {
				t.Fatalf("%s result: %d %.300s", name, resp.StatusCode, body)
			}
			_, body = do(t, http.MethodGet, in.URL+"/v1/tasks/"+ids[name], "", nil)
			rec := decode[server.TaskView](t, body)
			if rec.ErrorOutput != want.output || rec.ErrorOutputTruncated != want.truncated || rec.ErrorCode != want.code {
				t.Fatalf("%s record: %.300s", name, body)
			}
		}
	}
	checkDurable(in, "?wait=30s")

	// Kept on disk: the same after a restart.
	in.stop()
	in = start(t, dir, server.Config{})
	checkDurable(in, "")
}

// decodeError decodes an error response's body.
func decodeError(t *testing.T, body []byte) server.ErrorDetail {
	t.Helper()
	return decode[server.ErrorBody](t, body).Error
}
