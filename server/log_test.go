package server_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/nexustask/nexus/server"
)

// TestRequestLog: each RequestLog setting logs the requests it names, and
// a logged line carries the request's method, path, status and task id.
func TestRequestLog(t *testing.T) {
	wasm := readFile(t, "testdata/pure_echo.wasm")
	for _, tc := range []struct {
		mode server.RequestLog
		want []string // the statuses logged, in order
	}{
		{server.RequestLogErrors, []string{"404", "422"}},
		{server.RequestLogAll, []string{"201", "200", "404", "422"}},
		{server.RequestLogOff, nil},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			var out lockedBuffer
			log := slog.New(slog.NewTextHandler(&out, nil))
			in := start(t, t.TempDir(), server.Config{Logger: log, RequestLog: tc.mode})
			if resp, _ := upload(t, in.URL, "pecho", wasm); resp.StatusCode != http.StatusCreated {
				t.Fatalf("upload: %d", resp.StatusCode)
			}
			resp, _ := do(t, http.MethodPost, in.URL+"/v1/modules/pecho/invoke", "", []byte("hi"))
			id := resp.Header.Get(server.HeaderTaskID)
			do(t, http.MethodPost, in.URL+"/v1/modules/absent/invoke", "", nil)
			resp, _ = do(t, http.MethodPost, in.URL+"/v1/modules/pecho/invoke?fuel=1", "", []byte("hi"))
			failedID := resp.Header.Get(server.HeaderTaskID)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("fuel=1: %d", resp.StatusCode)
			}

			var got []string
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				if !strings.Contains(line, "msg=request") {
					continue
				}
				_, status, _ := strings.Cut(line, " status=")
				status, _, _ = strings.Cut(status, " ")
				got = append(got, status)
				if !strings.Contains(line, "method=POST path=/v1/modules/") {
					t.Errorf("line lacks method and path: %s", line)
				}
				if status == "200" && !strings.Contains(line, "task_id="+id) ||
					status == "422" && !strings.Contains(line, "task_id="+failedID) {
					t.Errorf("line lacks its task id: %s", line)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("logged statuses %q, want %q:\n%s", got, tc.want, out.String())
			}
		})
	}
}

func TestParseRequestLog(t *testing.T) {
	for _, m := range []server.RequestLog{server.RequestLogErrors, server.RequestLogAll, server.RequestLogOff} {
		if got, err := server.ParseRequestLog(m.String()); err != nil || got != m {
			t.Errorf("%s: %v %v", m, got, err)
		}
	}
	if _, err := server.ParseRequestLog("some"); err == nil {
		t.Error("ParseRequestLog accepted \"some\"")
	}
}

// lockedBuffer is a bytes.Buffer for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
