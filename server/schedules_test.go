package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

// kvSubmitter stands in for the task system behind the scheduler: it keeps
// idempotency key → task id in the server's bbolt file, and every task is
// done once submitted.
type kvSubmitter struct {
	db *store.DB
	mu sync.Mutex
	n  int
}

func (k *kvSubmitter) Submit(_ context.Context, _ json.RawMessage, key string, _ time.Time) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if id, ok, err := k.db.Get("schedule-test-tasks", key); ok || err != nil {
		return string(id), err
	}
	k.n++
	id := fmt.Sprintf("task-%d", k.n)
	return id, k.db.Set("schedule-test-tasks", key, []byte(id), 1<<30)
}

func (k *kvSubmitter) Done(context.Context, string) (bool, error) { return true, nil }

func (k *kvSubmitter) Wait(context.Context, string) error { return nil }

// startScheduling starts a server with a schedule Manager (intervals down
// to 10 ms) on a real bbolt file, on 127.0.0.1:0.
func startScheduling(t *testing.T) string {
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
	reg := modules.New(db, rt, modules.Config{})
	log := slog.New(slog.DiscardHandler)
	mgr, err := schedule.New(db, &kvSubmitter{db: db}, schedule.Config{MinEvery: 10 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
	srv := server.New(reg, rt, newExecutor(t, executor.DefaultConfig()), metrics.New(reg.Len),
		server.Config{Logger: log, Schedules: mgr})
	srv.SetReady(true)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		mgr.Close()
		rt.Close(context.Background())
		db.Close()
	})
	return hs.URL
}

// scheduleJSON mirrors the API's schedule.
type scheduleJSON struct {
	Name     string          `json:"name"`
	Cron     string          `json:"cron"`
	Timezone string          `json:"timezone"`
	Every    string          `json:"every"`
	Task     json.RawMessage `json:"task"`
	Overlap  string          `json:"overlap"`
	CatchUp  string          `json:"catch_up"`
	Paused   bool            `json:"paused"`
	NextDue  *time.Time      `json:"next_due"`
	Runs     []struct {
		Due     time.Time  `json:"due"`
		FiredAt *time.Time `json:"fired_at"`
		TaskID  string     `json:"task_id"`
		Outcome string     `json:"outcome"`
	} `json:"runs"`
}

func schedDecode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return v
}

// wantError fails t unless the response is the error status and code.
func schedWantError(t *testing.T, resp *http.Response, body []byte, status int, code, msg string) {
	t.Helper()
	e := schedDecode[server.ErrorBody](t, body)
	if resp.StatusCode != status || e.Error.Code != code || !strings.Contains(e.Error.Message, msg) {
		t.Fatalf("got %d %s, want %d %s with %q", resp.StatusCode, body, status, code, msg)
	}
}

func TestSchedulesAPI(t *testing.T) {
	base := startScheduling(t)
	post := func(body string) (*http.Response, []byte) {
		return do(t, http.MethodPost, base+"/v1/schedules", "application/json", []byte(body))
	}

	resp, body := post(`{"name":"nightly","cron":"CRON_TZ=Europe/Berlin 0 3 * * *","task":{"module":"echo","input":"hi"},"overlap":"buffer_one","catch_up":"all"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	n := schedDecode[scheduleJSON](t, body)
	if n.Name != "nightly" || n.Overlap != "buffer_one" || n.CatchUp != "all" || string(n.Task) != `{"module":"echo","input":"hi"}` {
		t.Fatalf("created: %s", body)
	}
	if n.NextDue == nil {
		t.Fatalf("created without next_due: %s", body)
	}
	if h := n.NextDue.UTC().Hour(); h != 1 && h != 2 {
		t.Fatalf("next due %s is not 03:00 in Berlin", n.NextDue)
	}
	resp, body = post(`{"name":"tick","every":"20ms","task":{"module":"echo"},"overlap":"allow"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create tick: %d %s", resp.StatusCode, body)
	}

	for _, tc := range []struct{ body, msg string }{
		{`{"name":"bad","cron":"61 * * * *","task":{"module":"echo"}}`, "cron"},
		{`{"name":"bad","cron":"* * *","task":{"module":"echo"}}`, "fields"},
		{`{"name":"bad","cron":"TZ=Nowhere/Land * * * * *","task":{"module":"echo"}}`, "unknown time zone"},
		{`{"name":"bad","every":"1ms","task":{"module":"echo"}}`, "minimum"},
		{`{"name":"bad","every":"1s","task":{"module":"echo"},"overlap":"sometimes"}`, "overlap"},
		{`{"name":"bad","every":"1s","task":"echo"}`, "task must be a JSON object"},
		{`{"name":"bad","every":"1s","task":{"module":"echo"},"color":"red"}`, "unknown field"},
		{`{"name":"bad",`, "schedule body"},
		{`{"name":"Bad!","every":"1s","task":{"module":"echo"}}`, "name"},
	} {
		resp, body := post(tc.body)
		schedWantError(t, resp, body, http.StatusBadRequest, "invalid_request", tc.msg)
	}
	resp, body = post(`{"name":"tick","every":"1h","task":{"module":"echo"}}`)
	schedWantError(t, resp, body, http.StatusConflict, "conflict", "tick")

	resp, body = do(t, http.MethodGet, base+"/v1/schedules", "", nil)
	list := schedDecode[struct{ Schedules []scheduleJSON }](t, body)
	if resp.StatusCode != http.StatusOK || len(list.Schedules) != 2 || list.Schedules[0].Name != "nightly" || list.Schedules[1].Name != "tick" {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}

	// tick fires every 20 ms: its runs show due, fire time, task and outcome.
	var tick scheduleJSON
	for deadline := time.Now().Add(10 * time.Second); len(tick.Runs) < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no runs: %+v", tick)
		}
		_, body = do(t, http.MethodGet, base+"/v1/schedules/tick?runs=3", "", nil)
		tick = schedDecode[scheduleJSON](t, body)
	}
	for i, r := range tick.Runs {
		if r.TaskID == "" || r.Outcome != "finished" || r.FiredAt == nil || r.FiredAt.Before(r.Due) ||
			(i > 0 && r.Due.Sub(tick.Runs[i-1].Due) != -20*time.Millisecond) {
			t.Fatalf("run %d (newest first): %s", i, body)
		}
	}
	resp, body = do(t, http.MethodGet, base+"/v1/schedules/tick?runs=many", "", nil)
	schedWantError(t, resp, body, http.StatusBadRequest, "invalid_request", "runs")

	// A paused schedule has no next due time: next_due is absent from
	// the answer, the schedule's GET and the list, and back on resume.
	resp, body = do(t, http.MethodPost, base+"/v1/schedules/tick/pause", "", nil)
	if p := schedDecode[scheduleJSON](t, body); resp.StatusCode != http.StatusOK || !p.Paused || bytes.Contains(body, []byte(`"next_due"`)) {
		t.Fatalf("pause: %d %s", resp.StatusCode, body)
	}
	_, body = do(t, http.MethodGet, base+"/v1/schedules/tick", "", nil)
	if p := schedDecode[scheduleJSON](t, body); !p.Paused || p.NextDue != nil {
		t.Fatalf("get paused: %s", body)
	}
	_, body = do(t, http.MethodGet, base+"/v1/schedules", "", nil)
	for _, s := range schedDecode[struct{ Schedules []scheduleJSON }](t, body).Schedules {
		if (s.Name == "tick") != (s.NextDue == nil) {
			t.Fatalf("list with tick paused: %s", body)
		}
	}
	resp, body = do(t, http.MethodPost, base+"/v1/schedules/tick/resume", "", nil)
	if r := schedDecode[scheduleJSON](t, body); resp.StatusCode != http.StatusOK || r.Paused || r.NextDue == nil {
		t.Fatalf("resume: %d %s", resp.StatusCode, body)
	}
	resp, _ = do(t, http.MethodDelete, base+"/v1/schedules/tick", "", nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/v1/schedules/tick"},
		{http.MethodDelete, "/v1/schedules/tick"},
		{http.MethodPost, "/v1/schedules/tick/pause"},
		{http.MethodPost, "/v1/schedules/tick/resume"},
	} {
		resp, body := do(t, r.method, base+r.path, "", nil)
		schedWantError(t, resp, body, http.StatusNotFound, "schedule_not_found", "tick")
	}
}
