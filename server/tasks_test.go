package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

// startTasks starts a server with the task service over a fresh data
// directory and uploads the tasks test guest as module "tt".
func startTasks(t *testing.T) string {
	t.Helper()
	return startTasksWith(t, tasks.Config{})
}

// startTasksWith is startTasks with cfg for the task service; its Cache,
// if set, is the server's result cache too.
func startTasksWith(t *testing.T, cfg tasks.Config) string {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	hcfg := host.DefaultConfig()
	hcfg.CacheDir, hcfg.KV = filepath.Join(dir, "compiled"), db
	rt, err := host.New(context.Background(), hcfg)
	if err != nil {
		t.Fatal(err)
	}
	reg := modules.New(db, rt, modules.DefaultConfig())
	exec := newExecutor(t, executor.DefaultConfig())
	log := slog.New(slog.DiscardHandler)
	cfg.Logger, cfg.BackoffBase, cfg.BackoffMax = log, time.Millisecond, time.Millisecond
	svc, err := tasks.New(db, db, &tasks.Runner{Registry: reg, Runtime: rt, Exec: exec}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := server.New(reg, rt, exec, metrics.New(reg.Len), server.Config{Logger: log, Tasks: svc, Cache: cfg.Cache})
	srv.SetReady(true)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		svc.Close(context.Background())
		exec.Close(context.Background())
		rt.Close(context.Background())
		db.Close()
	})
	wasm, err := os.ReadFile("../internal/tasks/testdata/tasktest.wasm")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(hs.URL+"/v1/modules/tt", "application/wasm", bytes.NewReader(wasm))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	return hs.URL
}

func doReq(t *testing.T, method, url, body string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

func TestTasksHTTP(t *testing.T) {
	url := startTasks(t)
	st, _, b := doReq(t, "POST", url+"/v1/tasks", `{"module":"tt","input":"chttp","idempotency_key":"h1","tags":["web"]}`)
	if st != http.StatusAccepted {
		t.Fatalf("submit: %d %s", st, b)
	}
	v := decode[server.TaskView](t, b)
	if v.ID == "" || (v.State != tasks.Queued && v.State != tasks.Running) || v.Created == nil || !*v.Created {
		t.Fatalf("submit answer: %s", b)
	}
	st, h, b := doReq(t, "GET", url+"/v1/tasks/"+v.ID+"/result?wait=10s", "")
	if st != http.StatusOK || string(b) != "1" || h.Get(server.HeaderTaskState) != "succeeded" {
		t.Fatalf("result: %d %q %v", st, b, h)
	}
	st, _, b = doReq(t, "POST", url+"/v1/tasks", `{"module":"tt","input":"chttp","idempotency_key":"h1"}`)
	if again := decode[server.TaskView](t, b); st != http.StatusOK || again.ID != v.ID || *again.Created {
		t.Fatalf("idempotent resubmit: %d %s", st, b)
	}
	st, _, b = doReq(t, "GET", url+"/v1/tasks/"+v.ID, "")
	if rec := decode[server.TaskView](t, b); st != 200 || rec.State != tasks.Succeeded || rec.OutputBytes != 1 || rec.Attempts != 1 {
		t.Fatalf("get: %d %s", st, b)
	}
	st, _, b = doReq(t, "GET", url+"/v1/tasks?tag=web&state=succeeded&limit=5", "")
	// The list leaves the output out but gives its size, as GET does.
	if l := decode[server.TaskList](t, b); st != 200 || len(l.Tasks) != 1 || l.Tasks[0].ID != v.ID || l.Tasks[0].OutputBytes != 1 {
		t.Fatalf("list: %d %s", st, b)
	}
}

func TestTasksHTTPErrors(t *testing.T) {
	url := startTasks(t)
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "/v1/tasks", `{"module":"tt","bogus":1}`, 400, "invalid_request"},
		{"POST", "/v1/tasks", `{"module":"tt","priority":12}`, 400, "invalid_request"},
		{"POST", "/v1/tasks", `{"module":"tt","run_at":"2030-01-01T00:00:00Z","delay_ms":5}`, 400, "invalid_request"},
		{"POST", "/v1/tasks", `{"module":"nosuch"}`, 404, "module_not_found"},
		{"GET", "/v1/tasks/0123", "", 404, "task_not_found"},
		{"GET", "/v1/tasks/0123/result", "", 404, "task_not_found"},
		{"POST", "/v1/tasks/0123/cancel", "", 404, "task_not_found"},
		{"GET", "/v1/tasks?state=sleeping", "", 400, "invalid_request"},
		{"GET", "/v1/tasks?limit=0", "", 400, "invalid_request"},
		{"GET", "/v1/tasks/x/result?wait=soon", "", 400, "invalid_request"},
	}
	for _, c := range cases {
		st, _, b := doReq(t, c.method, url+c.path, c.body)
		if e := decode[server.ErrorBody](t, b); st != c.status || e.Error.Code != c.code {
			t.Errorf("%s %s %s: %d %s, want %d %s", c.method, c.path, c.body, st, b, c.status, c.code)
		}
	}
	// A dead task's result is its error; retry requeues it; a succeeded
	// task cannot be retried or canceled.
	_, _, b := doReq(t, "POST", url+"/v1/tasks", `{"module":"tt","input":"t","max_retries":0}`)
	id := decode[server.TaskView](t, b).ID
	st, _, b := doReq(t, "GET", url+"/v1/tasks/"+id+"/result?wait=10s", "")
	if e := decode[server.ErrorBody](t, b); st != 422 || e.Error.Code != "trap" || e.Error.TaskID != id {
		t.Fatalf("dead result: %d %s", st, b)
	}
	if st, _, b := doReq(t, "POST", url+"/v1/tasks/"+id+"/retry", ""); st != 202 {
		t.Fatalf("retry: %d %s", st, b)
	}
	_, _, b = doReq(t, "POST", url+"/v1/tasks", `{"module":"tt","input":"cok"}`)
	ok := decode[server.TaskView](t, b).ID
	doReq(t, "GET", url+"/v1/tasks/"+ok+"/result?wait=10s", "")
	for _, p := range []string{"/retry", "/cancel"} {
		st, _, b := doReq(t, "POST", url+"/v1/tasks/"+ok+p, "")
		if e := decode[server.ErrorBody](t, b); st != 409 || e.Error.Code != "conflict" {
			t.Errorf("%s of succeeded task: %d %s", p, st, b)
		}
	}
}

func TestTasksHTTPBatchAndLongPoll(t *testing.T) {
	url := startTasks(t)
	var parts []string
	for i := range 20 {
		parts = append(parts, fmt.Sprintf(`{"module":"tt","input":"cb%d","delay_ms":100}`, i%5))
	}
	parts = append(parts, `{"module":"nosuch"}`)
	st, _, b := doReq(t, "POST", url+"/v1/tasks", "["+strings.Join(parts, ",")+"]")
	res := decode[[]server.SubmitResult](t, b)
	if st != 202 || len(res) != 21 || res[20].Error == nil || res[20].Error.Code != "module_not_found" {
		t.Fatalf("batch: %d %s", st, b)
	}
	// Not due yet: a short wait answers 202 with the record.
	start := time.Now()
	st, _, b = doReq(t, "GET", url+"/v1/tasks/"+res[0].ID+"/result?wait=20ms", "")
	if st != 202 || decode[server.TaskView](t, b).State != tasks.Scheduled || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("early result: %d %s", st, b)
	}
	for _, r := range res[:20] {
		if !r.Created || r.State != tasks.Scheduled {
			t.Fatalf("batch element: %+v", r)
		}
		if st, _, b := doReq(t, "GET", url+"/v1/tasks/"+r.ID+"/result?wait=10s", ""); st != 200 {
			t.Fatalf("result of %s: %d %s", r.ID, st, b)
		}
	}
}

// TestTasksHTTPResults: POST /v1/tasks/results answers a list of tasks in
// one request, in the order asked: outputs of succeeded tasks, errors of
// dead ones and of unknown ids, and the state of a task not finished when
// the wait ends.
func TestTasksHTTPResults(t *testing.T) {
	url := startTasks(t)
	st, _, b := doReq(t, "POST", url+"/v1/tasks", `[{"module":"tt","input":"cr0"},{"module":"tt","input":"cr1"},`+
		`{"module":"tt","input":"t","max_retries":0},{"module":"tt","input":"cr2","delay_ms":60000}]`)
	sub := decode[[]server.SubmitResult](t, b)
	if st != 202 || len(sub) != 4 {
		t.Fatalf("submit: %d %s", st, b)
	}
	ids := []string{sub[0].ID, sub[1].ID, sub[2].ID, sub[3].ID, "0123"}
	body, _ := json.Marshal(server.ResultsRequest{IDs: ids})
	start := time.Now()
	st, _, b = doReq(t, "POST", url+"/v1/tasks/results?wait=300ms", string(body))
	if st != 200 {
		t.Fatalf("results: %d %s", st, b)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond || waited > 10*time.Second {
		t.Errorf("answered after %v; the delayed task should hold it for the whole wait", waited)
	}
	res := decode[server.TaskResults](t, b).Results
	if len(res) != len(ids) {
		t.Fatalf("%d results for %d ids: %s", len(res), len(ids), b)
	}
	for i, r := range res {
		if r.ID != ids[i] {
			t.Fatalf("result %d is %s, want %s", i, r.ID, ids[i])
		}
	}
	for _, r := range res[:2] {
		if r.State != tasks.Succeeded || string(r.Output) != "1" || r.Error != nil || r.FuelUsed <= 0 {
			t.Errorf("succeeded task: %+v", r)
		}
	}
	if r := res[2]; r.State != tasks.Dead || r.Error == nil || r.Error.Code != "trap" || r.Output != nil {
		t.Errorf("dead task: %+v", r)
	}
	if r := res[3]; r.State != tasks.Scheduled || r.Error != nil || r.Output != nil {
		t.Errorf("unfinished task: %+v", r)
	}
	if r := res[4]; r.State != "" || r.Error == nil || r.Error.Code != "task_not_found" {
		t.Errorf("unknown id: %+v", r)
	}

	many, _ := json.Marshal(server.ResultsRequest{IDs: make([]string, server.MaxSubmitBatch+1)})
	for _, c := range []struct{ query, body string }{
		{"", `{"ids":`},
		{"", `["a"]`},
		{"?wait=soon", `{"ids":["a"]}`},
		{"", string(many)},
	} {
		st, _, b := doReq(t, "POST", url+"/v1/tasks/results"+c.query, c.body)
		if e := decode[server.ErrorBody](t, b); st != 400 || e.Error.Code != "invalid_request" {
			t.Errorf("%s %.40s: %d %s, want 400 invalid_request", c.query, c.body, st, b)
		}
	}
}

// TestTasksHTTPResultsOutputCap: the outputs of one results answer stop at
// MaxResultsOutput; later ones are left out with their sizes.
func TestTasksHTTPResultsOutputCap(t *testing.T) {
	url := startTasks(t)
	wasm, err := os.ReadFile("../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if st, _, b := doReq(t, "POST", url+"/v1/modules/echo", string(wasm)); st != http.StatusCreated {
		t.Fatalf("upload: %d %s", st, b)
	}
	size := server.MaxResultsOutput/2 + 1
	in := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("x"), size))
	var ids []string
	for range 3 {
		st, _, b := doReq(t, "POST", url+"/v1/tasks", `{"module":"echo","input_base64":"`+in+`"}`)
		if st != http.StatusAccepted {
			t.Fatalf("submit: %d %.200s", st, b)
		}
		ids = append(ids, decode[server.TaskView](t, b).ID)
	}
	body, _ := json.Marshal(server.ResultsRequest{IDs: ids})
	st, _, b := doReq(t, "POST", url+"/v1/tasks/results?wait=20s", string(body))
	if st != 200 {
		t.Fatalf("results: %d %.200s", st, b)
	}
	res := decode[server.TaskResults](t, b).Results
	for i, r := range res {
		if r.State != tasks.Succeeded || r.OutputBytes != size {
			t.Fatalf("result %d: %s, %d bytes", i, r.State, r.OutputBytes)
		}
		if withOutput := i == 0; (len(r.Output) == size) != withOutput || (!withOutput && r.Output != nil) {
			t.Errorf("result %d carries %d output bytes", i, len(r.Output))
		}
	}
}

// TestTaskInputCap: a task's input is capped at MaxInputBytes whichever
// way it is spelled, as an invoke's body is: 413 too_large, never a task
// accepted to fail later. The body limit leaves room for the cap in
// base64.
func TestTaskInputCap(t *testing.T) {
	url := startTasks(t)
	const limit = server.DefaultMaxInputBytes
	plain := func(n int) string {
		return `{"module":"tt","delay_ms":3600000,"input":"` + strings.Repeat("c", n) + `"}`
	}
	b64 := func(n int) string {
		return `{"module":"tt","delay_ms":3600000,"input_base64":"` + base64.StdEncoding.EncodeToString(make([]byte, n)) + `"}`
	}
	for _, c := range []struct {
		name, body string
		status     int
	}{
		{"plain 20 MiB", plain(20 << 20), 413},
		{"base64 20 MiB", b64(20 << 20), 413},
		{"plain one past the cap", plain(limit + 1), 413},
		{"base64 one past the cap", b64(limit + 1), 413},
		{"list with one past the cap", "[" + plain(limit+1) + "]", 202},
		{"base64 at the cap", b64(limit), 202},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, _, b := doReq(t, "POST", url+"/v1/tasks", c.body)
			if st != c.status {
				t.Fatalf("%d %.200s, want %d", st, b, c.status)
			}
			switch {
			case st == 413:
				if e := decode[server.ErrorBody](t, b); e.Error.Code != "too_large" {
					t.Fatalf("%s", b)
				}
			case strings.HasPrefix(c.body, "["):
				res := decode[[]server.SubmitResult](t, b)
				if len(res) != 1 || res[0].Error == nil || res[0].Error.Code != "too_large" || res[0].ID != "" {
					t.Fatalf("%s", b)
				}
			}
		})
	}
}

// TestTaskCancelRunning cancels running tasks: by default the answer waits
// for the attempt to stop and is 200 canceled; with wait=0 it is 202 with
// the running record and cancel_requested, and the task ends canceled.
func TestTaskCancelRunning(t *testing.T) {
	url := startTasks(t)
	running := func() string {
		t.Helper()
		_, _, b := doReq(t, "POST", url+"/v1/tasks", `{"module":"tt","input":"l","max_retries":0}`)
		id := decode[server.TaskView](t, b).ID
		for {
			_, _, b = doReq(t, "GET", url+"/v1/tasks/"+id, "")
			if v := decode[server.TaskView](t, b); v.State == tasks.Running {
				return id
			} else if v.State.Terminal() {
				t.Fatalf("task ended before it was canceled: %s", b)
			}
			time.Sleep(time.Millisecond)
		}
	}
	id := running()
	st, _, b := doReq(t, "POST", url+"/v1/tasks/"+id+"/cancel", "")
	if v := decode[server.TaskView](t, b); st != http.StatusOK || v.State != tasks.Canceled || v.CancelRequested {
		t.Fatalf("cancel: %d %s", st, b)
	}
	id = running()
	st, _, b = doReq(t, "POST", url+"/v1/tasks/"+id+"/cancel?wait=0", "")
	if v := decode[server.TaskView](t, b); st != http.StatusAccepted || v.State != tasks.Running || !v.CancelRequested {
		t.Fatalf("cancel?wait=0: %d %s", st, b)
	}
	st, h, b := doReq(t, "GET", url+"/v1/tasks/"+id+"/result?wait=10s", "")
	if h.Get(server.HeaderTaskState) != string(tasks.Canceled) || errorCode(t, b) != "canceled" {
		t.Fatalf("result after cancel?wait=0: %d %v %s", st, h, b)
	}
	st, _, b = doReq(t, "POST", url+"/v1/tasks/"+id+"/cancel", "")
	if st != http.StatusConflict || errorCode(t, b) != "conflict" {
		t.Fatalf("cancel of a canceled task: %d %s", st, b)
	}
}
