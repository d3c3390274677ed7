package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/server"
)

// The tests run every method against the real server (server_test.go)
// with real Wasm modules, through a client made WithStrictDecoding: every
// response, error bodies included, is decoded refusing fields the client's
// types lack, so a field the server starts writing fails the test that
// meets it until it is added here.

func TestNew(t *testing.T) {
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://host", "http://", "http://h/?q=1", "http://h/#f", "http://%zz"} {
		if _, err := client.New(bad); err == nil {
			t.Errorf("New(%q) succeeded", bad)
		}
	}
	c, err := client.New("https://example.com/nexus/")
	if err != nil || c.BaseURL() != "https://example.com/nexus" {
		t.Fatalf("New: %v %q", err, c.BaseURL())
	}
}

func TestModules(t *testing.T) {
	_, c := newServer(t, func(cfg *server.Config) { cfg.MaxModuleBytes = 64 << 10 })
	ctx := context.Background()
	wasm, err := os.ReadFile(echoWasm)
	must(t, err)

	v, err := c.PushModule(ctx, "echo", wasm, nil)
	must(t, err)
	if !v.Created || v.Name != "echo" || v.Version != 1 || v.Profile != client.ProfileWASICommand || v.Size != int64(len(wasm)) ||
		!strings.HasPrefix(v.Digest, "sha256:") || v.Isolation != client.IsolationFresh || len(v.Raw) == 0 {
		t.Fatalf("push: %+v", v)
	}
	again, err := c.PushModule(ctx, "echo", wasm, nil)
	must(t, err)
	if again.Created || again.Version != 1 || again.Digest != v.Digest {
		t.Fatalf("push again: %+v", again)
	}
	_, err = c.PushModule(ctx, "warm", wasm, &client.PushOptions{Isolation: client.IsolationWarm})
	if e := apiError(t, err); e.Status != http.StatusBadRequest || e.Code != client.CodeInvalidRequest {
		t.Fatalf("push wasi-command warm: %v", err)
	}
	reactor, err := os.ReadFile(taskTestWasm)
	must(t, err)
	warm, err := c.PushModule(ctx, "warm", reactor, &client.PushOptions{Isolation: client.IsolationWarm})
	must(t, err)
	if warm.Isolation != client.IsolationWarm {
		t.Fatalf("push warm: %+v", warm)
	}

	list, err := c.ListModules(ctx)
	must(t, err)
	names := []string{}
	for _, m := range list.Modules {
		names = append(names, m.Name)
	}
	if slices.Sort(names); !slices.Equal(names, []string{"echo", "warm"}) || !json.Valid(list.Raw) {
		t.Fatalf("list: %v", names)
	}
	vs, err := c.GetModule(ctx, "echo")
	must(t, err)
	if vs.Name != "echo" || len(vs.Versions) != 1 || vs.Versions[0].Digest != v.Digest {
		t.Fatalf("get: %+v", vs)
	}

	must(t, c.DeleteModule(ctx, "warm"))
	for name, err := range map[string]error{
		"get deleted":    second(c.GetModule(ctx, "warm")),
		"delete deleted": c.DeleteModule(ctx, "warm"),
	} {
		if e := apiError(t, err); e.Status != http.StatusNotFound || e.Code != client.CodeModuleNotFound {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Refusals of an upload.
	for _, tc := range []struct {
		name   string
		wasm   []byte
		status int
		code   string
	}{
		{"echo", []byte("not wasm"), http.StatusBadRequest, client.CodeInvalidModule},
		{"echo", nil, http.StatusBadRequest, client.CodeInvalidModule},
		{"Bad Name", wasm, http.StatusBadRequest, client.CodeInvalidRequest},
		{"big", make([]byte, 65<<10), http.StatusRequestEntityTooLarge, client.CodeTooLarge},
	} {
		_, err := c.PushModule(ctx, tc.name, tc.wasm, nil)
		if e := apiError(t, err); e.Status != tc.status || e.Code != tc.code || e.Message == "" {
			t.Errorf("push %q (%d bytes): %v, want %d %s", tc.name, len(tc.wasm), err, tc.status, tc.code)
		}
	}
	_, err = c.PushModule(ctx, "echo", wasm, &client.PushOptions{Isolation: "tepid"})
	if !client.IsCode(err, client.CodeInvalidRequest) {
		t.Errorf("push with isolation tepid: %v", err)
	}
}

// second returns the error of a two-result call.
func second[T any](_ T, err error) error { return err }

func TestInvoke(t *testing.T) {
	_, c := newServer(t, func(cfg *server.Config) { cfg.MaxInputBytes = 1 << 10 })
	ctx := context.Background()
	push(t, c, "echo", echoWasm)
	push(t, c, "tt", taskTestWasm)
	push(t, c, "exit3", exit3Wasm)

	r, err := c.Invoke(ctx, "echo", []byte("hello"), nil)
	must(t, err)
	if string(r.Output) != "hello" || r.TaskID == "" || r.ModuleVersion != 1 || r.FuelUsed <= 0 || r.Duration <= 0 ||
		r.Cache != client.CacheBypass || r.HasProgress || r.Header.Get(client.HeaderTaskID) != r.TaskID {
		t.Fatalf("invoke: %+v", r)
	}
	r, err = c.Invoke(ctx, "echo", nil, &client.InvokeOptions{
		Version: 1, Priority: client.Ptr(9), Category: "batch", Fuel: 1e9, MemoryBytes: 16 << 20, Timeout: 5 * time.Second, QueueTimeout: time.Minute,
		Env: []string{"A=1"}, Args: []string{"x", "y"}, Grants: []string{client.GrantClock},
		Query: url.Values{"memory": {"8MiB"}},
	})
	must(t, err)
	if len(r.Output) != 0 {
		t.Fatalf("invoke with no input: %q", r.Output)
	}
	r, err = c.Invoke(ctx, "tt", []byte("ck"), &client.InvokeOptions{Config: map[string]string{"a": "b", "c": "d=e"}})
	must(t, err)
	if string(r.Output) != "1" {
		t.Fatalf("tt count: %q", r.Output)
	}

	// Failed tasks: 422 with the task id, the fuel used, the exit code,
	// the logs and the run's headers.
	_, err = c.Invoke(ctx, "tt", []byte("l"), &client.InvokeOptions{Fuel: 1e6})
	e := apiError(t, err)
	if e.Status != http.StatusUnprocessableEntity || e.Code != client.CodeFuelExhausted || e.TaskID == "" ||
		e.FuelUsed == nil || *e.FuelUsed < 1e6 || !client.IsTaskFailure(err) || e.Header.Get(client.HeaderTaskID) != e.TaskID {
		t.Fatalf("fuel: %+v", e)
	}
	_, err = c.Invoke(ctx, "exit3", nil, nil)
	e = apiError(t, err)
	if e.Code != client.CodeExitNonzero || e.ExitCode == nil || *e.ExitCode != 3 || !strings.Contains(e.Logs, "something went wrong") {
		t.Fatalf("exit3: %+v", e)
	}
	if want := "exit_nonzero (422): "; !strings.HasPrefix(e.Error(), want) || !strings.HasSuffix(e.Error(), "[task "+e.TaskID+"]") {
		t.Fatalf("Error() = %q", e.Error())
	}
	if d := e.Detail(); d.Code != e.Code || d.TaskID != e.TaskID || d.Logs != e.Logs {
		t.Fatalf("Detail() = %+v", d)
	}
	_, err = c.Invoke(ctx, "tt", []byte("r"), nil)
	e = apiError(t, err)
	if p, ok := client.ProgressOf(e.Header); e.Code != client.CodeTrap || !ok || p != [2]int64{1, 2} {
		t.Fatalf("progress of a trapped task: %v %v %+v", p, ok, e)
	}
	_, err = c.Invoke(ctx, "tt", []byte("e"), nil)
	if !client.IsCode(err, client.CodeTaskError) {
		t.Fatalf("task error: %v", err)
	}

	// Refused requests.
	for _, tc := range []struct {
		name   string
		input  []byte
		opts   *client.InvokeOptions
		status int
		code   string
	}{
		{"nope", nil, nil, http.StatusNotFound, client.CodeModuleNotFound},
		{"echo", nil, &client.InvokeOptions{Version: 7}, http.StatusNotFound, client.CodeModuleNotFound},
		{"echo", nil, &client.InvokeOptions{Priority: client.Ptr(12)}, http.StatusBadRequest, client.CodeInvalidRequest},
		{"echo", nil, &client.InvokeOptions{Query: url.Values{"queue_timeout": {"soon"}}}, http.StatusBadRequest, client.CodeInvalidRequest},
		{"echo", nil, &client.InvokeOptions{Grants: []string{"network"}}, http.StatusBadRequest, client.CodeInvalidRequest},
		{"echo", nil, &client.InvokeOptions{CacheTTL: time.Minute}, http.StatusBadRequest, client.CodeInvalidRequest},
		{"echo", make([]byte, 2<<10), nil, http.StatusRequestEntityTooLarge, client.CodeTooLarge},
	} {
		_, err := c.Invoke(ctx, tc.name, tc.input, tc.opts)
		if e := apiError(t, err); e.Status != tc.status || e.Code != tc.code || client.IsTaskFailure(err) {
			t.Errorf("invoke %s %+v: %v, want %d %s", tc.name, tc.opts, err, tc.status, tc.code)
		}
	}
}

func TestInvokeConcurrent(t *testing.T) {
	_, c := newServer(t, nil)
	push(t, c, "echo", echoWasm)
	var wg sync.WaitGroup
	errs := make(chan error, 8*5)
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				in := []byte(strings.Repeat("x", g*5+i))
				r, err := c.Invoke(context.Background(), "echo", in, nil)
				if err == nil && string(r.Output) != string(in) {
					err = errors.New("output differs from input")
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
}

func TestCache(t *testing.T) {
	_, c := newServer(t, nil)
	ctx := context.Background()
	push(t, c, "pecho", pureEchoWasm)
	opts := &client.InvokeOptions{CacheTTL: time.Hour, Tags: []string{"red"}}
	miss, err := c.Invoke(ctx, "pecho", []byte("hi"), opts)
	must(t, err)
	hit, err := c.Invoke(ctx, "pecho", []byte("hi"), opts)
	must(t, err)
	if miss.Cache != client.CacheMiss || hit.Cache != client.CacheHit || string(hit.Output) != "hi" ||
		hit.CacheKey == "" || hit.CacheKey != miss.CacheKey || hit.FuelUsed != miss.FuelUsed {
		t.Fatalf("miss %+v, hit %+v", miss, hit)
	}
	st, err := c.CacheStats(ctx)
	must(t, err)
	if st.Hits != 1 || st.Misses != 1 || st.Entries != 1 || st.MaxBytes <= 0 {
		t.Fatalf("stats: %+v", st)
	}
	for _, sel := range []client.CacheSelector{{Key: hit.CacheKey}, {Tag: "red"}, {Module: "pecho"}} {
		if _, err := c.Invoke(ctx, "pecho", []byte("hi"), opts); err != nil {
			t.Fatal(err)
		}
		if n, err := c.InvalidateCache(ctx, sel); err != nil || n != 1 {
			t.Fatalf("invalidate %+v: %d %v", sel, n, err)
		}
	}
	if _, err := c.InvalidateCache(ctx, client.CacheSelector{}); !client.IsCode(err, client.CodeInvalidRequest) {
		t.Fatalf("invalidate nothing: %v", err)
	}
}

func TestTasks(t *testing.T) {
	_, c := newServer(t, nil)
	ctx := context.Background()
	push(t, c, "tt", taskTestWasm)

	// Submit, with an idempotency key; the same key again is the same task.
	spec := client.TaskSpec{Module: "tt", Input: "ck", IdempotencyKey: "k1", Tags: []string{"x"}, Priority: client.Ptr(7),
		Category: "batch", Fuel: 1e9, MemoryBytes: 16 << 20, TimeoutMs: 5000, QueueTimeoutMs: 60000, MaxRetries: client.Ptr(1), Config: map[string]string{"a": "b"}}
	task, err := c.SubmitTask(ctx, spec)
	must(t, err)
	if task.ID == "" || task.Created == nil || !*task.Created || task.Module != "tt" || task.Priority != 7 || !json.Valid(task.Raw) {
		t.Fatalf("submit: %+v", task)
	}
	same, err := c.SubmitTask(ctx, spec)
	must(t, err)
	if same.ID != task.ID || same.Created == nil || *same.Created {
		t.Fatalf("submit again: %+v", same)
	}
	res, err := c.WaitTask(ctx, task.ID)
	must(t, err)
	if !res.Done() || res.State != client.StateSucceeded || string(res.Output) != "1" || res.ID != task.ID || res.FuelUsed <= 0 {
		t.Fatalf("wait: %+v", res)
	}
	got, err := c.GetTask(ctx, task.ID)
	must(t, err)
	if got.State != client.StateSucceeded || got.OutputBytes != 1 || got.Attempts != 1 || got.FinishedAt.IsZero() || got.Created != nil {
		t.Fatalf("get: %+v", got)
	}

	// Binary input; a failing task's result is its error.
	task, err = c.SubmitTask(ctx, client.TaskSpec{Module: "tt", InputBase64: []byte("t"), MaxRetries: client.Ptr(0)})
	must(t, err)
	_, err = c.WaitTask(ctx, task.ID)
	e := apiError(t, err)
	if e.Code != client.CodeTrap || e.TaskID != task.ID || e.FuelUsed == nil || !client.IsTaskFailure(err) {
		t.Fatalf("failed task: %+v", e)
	}
	retried, err := c.RetryTask(ctx, task.ID)
	must(t, err)
	if retried.ID != task.ID || retried.State.Terminal() {
		t.Fatalf("retry: %+v", retried)
	}

	// A delayed task: unfinished, canceled, retried.
	runAt := time.Now().Add(time.Hour)
	later, err := c.SubmitTask(ctx, client.TaskSpec{Module: "tt", Input: "n", RunAt: &runAt})
	must(t, err)
	res, err = c.Result(ctx, later.ID, 0)
	must(t, err)
	if res.Done() || res.State != client.StateScheduled || res.Task == nil || res.Task.ID != later.ID || res.Task.RunAt.IsZero() {
		t.Fatalf("result of a delayed task: %+v", res)
	}
	ctx2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = c.WaitTask(ctx2, later.ID)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait past the context: %v", err)
	}
	canceled, err := c.CancelTask(ctx, later.ID)
	must(t, err)
	if canceled.State != client.StateCanceled {
		t.Fatalf("cancel: %+v", canceled)
	}
	_, err = c.CancelTask(ctx, later.ID)
	if e := apiError(t, err); e.Status != http.StatusConflict || e.Code != client.CodeConflict {
		t.Fatalf("cancel again: %v", err)
	}
	_, err = c.Result(ctx, later.ID, time.Second)
	if !client.IsCode(err, client.CodeCanceled) {
		t.Fatalf("result of a canceled task: %v", err)
	}

	// Unknown tasks and bad specs.
	for name, err := range map[string]error{
		"get":    second(c.GetTask(ctx, "nope")),
		"result": second(c.Result(ctx, "nope", 0)),
		"cancel": second(c.CancelTask(ctx, "nope")),
		"retry":  second(c.RetryTask(ctx, "nope")),
	} {
		if e := apiError(t, err); e.Status != http.StatusNotFound || e.Code != client.CodeTaskNotFound {
			t.Errorf("%s of an unknown task: %v", name, err)
		}
	}
	for _, bad := range []client.TaskSpec{
		{Module: "Bad"},
		{Module: "tt", Input: "a", InputBase64: []byte("b")},
		{Module: "tt", DelayMs: 5, RunAt: &runAt},
		{Module: "tt", Priority: client.Ptr(10)},
		{Module: "tt", QueueTimeoutMs: -1},
	} {
		if _, err := c.SubmitTask(ctx, bad); !client.IsCode(err, client.CodeInvalidRequest) {
			t.Errorf("submit %+v: %v", bad, err)
		}
	}
}

func TestTaskBatches(t *testing.T) {
	_, c := newServer(t, nil)
	ctx := context.Background()
	push(t, c, "tt", taskTestWasm)
	subs, err := c.SubmitTasks(ctx, []client.TaskSpec{
		{Module: "tt", Input: "ca"}, {Module: "Bad"}, {Module: "tt", Input: "e", MaxRetries: client.Ptr(0)},
	})
	must(t, err)
	if len(subs) != 3 || subs[0].ID == "" || !subs[0].Created || subs[1].Error == nil ||
		subs[1].Error.Code != client.CodeInvalidRequest || subs[2].ID == "" {
		t.Fatalf("submit batch: %+v", subs)
	}
	rs, err := c.Results(ctx, []string{subs[0].ID, subs[2].ID, "nope"}, client.MaxResultWait)
	must(t, err)
	if len(rs) != 3 || string(rs[0].Output) != "1" || rs[0].OutputBytes != 1 || rs[0].State != client.StateSucceeded ||
		!rs[1].Done() || rs[1].State == client.StateSucceeded || rs[1].Error == nil || rs[1].Error.Code != client.CodeTaskError ||
		rs[2].Error == nil || rs[2].Error.Code != client.CodeTaskNotFound || rs[2].Done() {
		t.Fatalf("results: %+v", rs)
	}
	if subs, err := c.SubmitTasks(ctx, nil); err != nil || len(subs) != 0 {
		t.Fatalf("submit no tasks: %v %v", subs, err)
	}
	if rs, err := c.Results(ctx, nil, 0); err != nil || len(rs) != 0 {
		t.Fatalf("results of no tasks: %v %v", rs, err)
	}
}

func TestListTasks(t *testing.T) {
	_, c := newServer(t, nil)
	ctx := context.Background()
	push(t, c, "tt", taskTestWasm)
	var want []string
	for range 7 {
		task, err := c.SubmitTask(ctx, client.TaskSpec{Module: "tt", Input: "n", DelayMs: time.Hour.Milliseconds(), Tags: []string{"page"}})
		must(t, err)
		want = append(want, task.ID)
	}
	_, err := c.SubmitTask(ctx, client.TaskSpec{Module: "tt", Input: "n", DelayMs: time.Hour.Milliseconds()})
	must(t, err)
	page, err := c.ListTasks(ctx, client.TaskFilter{Tag: "page", Limit: 3})
	must(t, err)
	if len(page.Tasks) != 3 || page.NextCursor == "" || !json.Valid(page.Raw) {
		t.Fatalf("first page: %d tasks, cursor %q", len(page.Tasks), page.NextCursor)
	}
	var got []string
	for task, err := range c.AllTasks(ctx, client.TaskFilter{Tag: "page", State: client.StateScheduled, Module: "tt", Limit: 3}) {
		must(t, err)
		got = append(got, task.ID)
	}
	// The iterator walks the pages in the server's order, each task once.
	for i, task := range page.Tasks {
		if got[i] != task.ID {
			t.Fatalf("iterator starts %v, first page %v", got[:3], page.Tasks)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("all tasks:\n got %v\nwant %v", got, want)
	}
	n := 0
	for range c.AllTasks(ctx, client.TaskFilter{Limit: 2}) {
		if n++; n == 3 {
			break
		}
	}
	for _, err := range c.AllTasks(ctx, client.TaskFilter{Limit: 5000}) {
		if !client.IsCode(err, client.CodeInvalidRequest) {
			t.Fatalf("iterating with a bad limit: %v", err)
		}
	}
}

func TestSchedules(t *testing.T) {
	_, c := newServer(t, nil)
	ctx := context.Background()
	push(t, c, "tt", taskTestWasm)
	tmpl, err := client.TaskTemplate(client.TaskSpec{Module: "tt", Input: "n"})
	must(t, err)
	s, err := c.CreateSchedule(ctx, client.ScheduleSpec{Name: "hourly", Every: "1h", Task: tmpl, Overlap: client.OverlapAllow, Paused: true})
	must(t, err)
	if s.Name != "hourly" || s.Every != "1h0m0s" || !s.Paused || s.Overlap != client.OverlapAllow || s.CatchUp != client.CatchUpOne ||
		!s.NextDue.IsZero() || !json.Valid(s.Raw) { // paused: no next due time
		t.Fatalf("create: %+v", s)
	}
	_, err = c.CreateSchedule(ctx, client.ScheduleSpec{Name: "nightly", Cron: "30 2 * * *", Timezone: "Europe/Berlin", Task: tmpl, CatchUp: client.CatchUpNone})
	must(t, err)
	list, err := c.ListSchedules(ctx)
	must(t, err)
	if len(list.Schedules) != 2 || !json.Valid(list.Raw) {
		t.Fatalf("list: %+v", list)
	}
	if s, err = c.ResumeSchedule(ctx, "hourly"); err != nil || s.Paused || s.NextDue.IsZero() {
		t.Fatalf("resume: %+v %v", s, err)
	}
	if s, err = c.PauseSchedule(ctx, "hourly"); err != nil || !s.Paused || !s.NextDue.IsZero() {
		t.Fatalf("pause: %+v %v", s, err)
	}
	if s, err = c.GetSchedule(ctx, "nightly", 20); err != nil || s.Cron != "30 2 * * *" || len(s.Runs) != 0 {
		t.Fatalf("get: %+v %v", s, err)
	}

	// A schedule that fires: its runs name the tasks it submitted.
	_, err = c.CreateSchedule(ctx, client.ScheduleSpec{Name: "often", Every: "10ms", Task: tmpl})
	must(t, err)
	run := waitRun(t, c, "often")
	if run.Due.IsZero() || run.Outcome == "" {
		t.Fatalf("run: %+v", run)
	}
	if _, err := c.WaitTask(ctx, run.TaskID); err != nil {
		t.Fatalf("the schedule's task: %v", err)
	}

	must(t, c.DeleteSchedule(ctx, "nightly"))
	for name, err := range map[string]error{
		"get":    second(c.GetSchedule(ctx, "nightly", 5)),
		"pause":  second(c.PauseSchedule(ctx, "nightly")),
		"delete": c.DeleteSchedule(ctx, "nightly"),
	} {
		if e := apiError(t, err); e.Status != http.StatusNotFound || e.Code != client.CodeScheduleNotFound {
			t.Errorf("%s of a deleted schedule: %v", name, err)
		}
	}
	if _, err := c.CreateSchedule(ctx, client.ScheduleSpec{Name: "bad", Task: tmpl}); !client.IsCode(err, client.CodeInvalidRequest) {
		t.Fatalf("create without cron or every: %v", err)
	}
	if _, err := c.GetSchedule(ctx, "hourly", -1); !client.IsCode(err, client.CodeInvalidRequest) {
		t.Fatalf("get with runs -1: %v", err)
	}
}

// waitRun waits until schedule name has a fired run with its task, and
// returns that run (a newer due time may be listed first, not fired yet).
// Each GetSchedule is a round trip to the server; the loop ends when the
// schedule has fired, or fails the test after a minute.
func waitRun(t *testing.T, c *client.Client, name string) client.ScheduleRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		s, err := c.GetSchedule(ctx, name, 5)
		if err != nil {
			t.Fatalf("waiting for a run of %s: %v", name, err)
		}
		for _, r := range s.Runs {
			if r.TaskID != "" && r.FiredAt != nil {
				return r
			}
		}
	}
}

func TestHealth(t *testing.T) {
	ts, c := newServer(t, nil)
	ctx := context.Background()
	must(t, c.Health(ctx))
	must(t, c.Ready(ctx))
	ts.srv.SetReady(false)
	must(t, c.Health(ctx))
	for name, err := range map[string]error{"ready": c.Ready(ctx), "list": second(c.ListModules(ctx))} {
		if e := apiError(t, err); e.Status != http.StatusServiceUnavailable || e.Code != client.CodeUnavailable || e.RetryAfter != time.Second {
			t.Errorf("%s while not ready: %+v", name, e)
		}
	}
}

// TestOptions checks the headers a Client adds and that network errors
// come back as net/http reports them.
func TestOptions(t *testing.T) {
	seen := make(chan http.Header, 1)
	hs := newRecorder(seen)
	defer hs.Close()
	c, err := client.New(hs.URL, client.WithUserAgent("test/1"), client.WithHeader("Authorization", "Bearer x"),
		client.WithHTTPClient(&http.Client{}))
	must(t, err)
	if err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := <-seen
	if h.Get("User-Agent") != "test/1" || h.Get("Authorization") != "Bearer x" {
		t.Fatalf("headers: %v", h)
	}
	c.CloseIdleConnections()
	hs.Close()
	err = c.Health(context.Background())
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("closed server: %v (%T)", err, err)
	}
	// An error that is not the API's shape.
	hs2 := newStatus(http.StatusBadGateway, "bad gateway\n")
	defer hs2.Close()
	c, _ = client.New(hs2.URL)
	err = c.Health(context.Background())
	if e := apiError(t, err); e.Status != http.StatusBadGateway || e.Code != client.CodeHTTP || e.Message != "bad gateway" {
		t.Fatalf("proxy error: %+v", e)
	}
}

// TestStrictDecoding checks the drift check itself: a field the client's
// types lack fails a strict client, and not a default one.
func TestStrictDecoding(t *testing.T) {
	hs := newBody(`{"modules":[{"name":"m","latest":{"name":"m","version":1,"colour":"blue"},"versions":1,"state":"ready"}]}`)
	defer hs.Close()
	strict, err := client.New(hs.URL, client.WithStrictDecoding())
	must(t, err)
	if _, err := strict.ListModules(context.Background()); err == nil || !strings.Contains(err.Error(), `unknown field "colour"`) {
		t.Fatalf("strict client: %v", err)
	}
	lax, err := client.New(hs.URL)
	must(t, err)
	if list, err := lax.ListModules(context.Background()); err != nil || list.Modules[0].Latest.Version != 1 {
		t.Fatalf("default client: %+v %v", list, err)
	}
}

// FuzzProgressOf: any header value parses without panicking, to nothing
// or to a progress that reads back the same when written again.
func FuzzProgressOf(f *testing.F) {
	for _, s := range []string{"1/2", "0/0", "", "/", "-1/5", "9223372036854775807/1", "1/2/3", "x/1", "+1/02"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := client.ProgressOf(http.Header{client.HeaderProgress: {s}})
		if !ok {
			if p != [2]int64{} {
				t.Fatalf("%q: %v without ok", s, p)
			}
			return
		}
		again, ok := client.ProgressOf(http.Header{client.HeaderProgress: {fmt.Sprintf("%d/%d", p[0], p[1])}})
		if !ok || again != p {
			t.Fatalf("%q parsed as %v, written again as %v", s, p, again)
		}
	})
}
