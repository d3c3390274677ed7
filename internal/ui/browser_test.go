package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/systeminfo"
	"github.com/chromedp/chromedp"
	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/internal/tasks"
)

var (
	chromiumFlag = flag.String("ui.chromium", "", "the Chromium binary of the browser tests (default: $NEXUS_CHROMIUM, or chromium on $PATH)")
	shotsFlag    = flag.String("ui.screenshots", "", "the folder the browser tests save a screenshot of each page to (default: $NEXUS_UI_SCREENSHOTS, or a new temporary folder)")
	storedFlag   = flag.Int("ui.tasks", 2000, "tasks in the store when the first paint is measured; 100000 for the long form")
	liveFlag     = flag.Int("ui.live", 1, "seconds of 1,000 tasks a second while the live view's CPU is measured")
	perfFlag     = flag.Bool("ui.perf", false, "fail if the first contentful paint takes more than 1 s or the live view more than one core")
)

// chromium finds the browser: the flag, $NEXUS_CHROMIUM, or a Chromium
// on $PATH.
func chromium() string {
	for _, p := range []string{*chromiumFlag, os.Getenv("NEXUS_CHROMIUM")} {
		if p != "" {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// dashboard is one node and one headless browser shared by the browser
// subtests; each subtest opens its own tab.
type dashboard struct {
	t       *testing.T
	n       *node.Node
	browser context.Context
	shots   string
}

// tab opens a new tab at a dashboard path and closes it when the subtest
// ends.
func (d *dashboard) tab(t *testing.T, path string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(d.browser)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	// The page's event stream is open before the subtest changes anything.
	d.do(t, ctx, chromedp.Navigate(d.n.URL()+path), chromedp.WaitVisible(`main h1`), chromedp.WaitVisible(`#live.on`))
	return ctx
}

func (d *dashboard) do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the tab.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// until waits for a JavaScript expression to be true in the tab.
func until(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s: %v", expr, err)
	}
}

// shot saves a screenshot of the tab as NAME.png.
func (d *dashboard) shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.shots, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// api sends one request to the node's HTTP API and decodes its JSON answer.
func (d *dashboard) api(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var r *bytes.Reader
	if b, ok := body.([]byte); ok {
		r = bytes.NewReader(b)
	} else {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.n.URL()+path, r)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		var e bytes.Buffer
		e.ReadFrom(res.Body)
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, e.String())
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDashboard drives the dashboard in headless Chromium against a real
// node: upload and invoke a module through its forms, watch tasks finish
// in the list without a reload, open a timeline, cancel a running task,
// watch a schedule fire, and measure the first paint over a full store
// and the tab's CPU under a live load. It saves a screenshot of each page
// to the folder it prints.
func TestDashboard(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium binary: install Debian's chromium (.ci/run does), or name one with -ui.chromium or $NEXUS_CHROMIUM")
	}
	shots := *shotsFlag
	if shots == "" {
		shots = os.Getenv("NEXUS_UI_SCREENSHOTS")
	}
	if shots == "" {
		var err error
		if shots, err = os.MkdirTemp("", "nexus-ui-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("dashboard screenshots: %s\n", shots)

	n := startNode(t, func(c *node.Config) { c.MaxFuel = 0 })
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1366, 860), chromedp.Flag("disable-dev-shm-usage", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatal(err)
	}
	d := &dashboard{t: t, n: n, browser: browser, shots: shots}

	// The first paint, over a store of tasks seeded through the service.
	for _, st := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"FirstPaint", d.firstPaint}, {"UploadAndInvoke", d.uploadAndInvoke}, {"TasksFinishLive", d.tasksFinishLive},
		{"CancelRunning", d.cancelRunning}, {"ScheduleFires", d.scheduleFires}, {"WorkflowDAG", d.workflowDAG},
		{"LiveLoad", d.liveLoad}, {"Pages", d.pages},
	} {
		// Each subtest builds on the ones before: stop at the first failure.
		if !t.Run(st.name, st.run) {
			return
		}
	}
}

// seed stores count tasks due in a day, in lists of 1,000 through the
// task service in-process.
func (d *dashboard) seed(t *testing.T, count int) {
	wasm, err := os.ReadFile("../../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	d.api(t, http.MethodPost, "/v1/modules/seed", wasm, nil)
	svc := d.n.Tasks()
	for done := 0; done < count; {
		specs := make([]tasks.Spec, min(1000, count-done))
		for i := range specs {
			specs[i] = tasks.Spec{Module: "seed", Input: []byte("x"), DelayMs: int64(24 * time.Hour / time.Millisecond), Category: "seed"}
		}
		for _, s := range svc.SubmitMany(context.Background(), specs) {
			if s.Err != nil {
				t.Fatal(s.Err)
			}
		}
		done += len(specs)
	}
}

func (d *dashboard) firstPaint(t *testing.T) {
	start := time.Now()
	d.seed(t, *storedFlag)
	t.Logf("seeded %d tasks in %v", *storedFlag, time.Since(start).Round(time.Millisecond))
	ctx := d.tab(t, "/ui/tasks")
	until(t, ctx, `document.querySelector('tbody[data-ready]') !== null`, 20*time.Second)
	var perf struct {
		FCP      float64 `json:"fcp"`
		Transfer float64 `json:"transfer"`
		Rows     int     `json:"rows"`
	}
	perf = eval[struct {
		FCP      float64 `json:"fcp"`
		Transfer float64 `json:"transfer"`
		Rows     int     `json:"rows"`
	}](t, ctx, `({
		fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: -1}).startTime,
		transfer: performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
			.filter((e) => !e.name.includes('/v1/')).reduce((a, e) => a + e.transferSize, 0),
		rows: document.querySelectorAll('tbody tr[data-id]').length,
	})`)
	fmt.Printf("first contentful paint of /ui/tasks with %d tasks stored: %.0f ms; assets transferred: %.1f KiB\n",
		*storedFlag, perf.FCP, perf.Transfer/1024)
	if perf.FCP < 0 || perf.Rows != 50 {
		t.Fatalf("first contentful paint %v ms, %d rows shown", perf.FCP, perf.Rows)
	}
	if perf.Transfer > 500<<10 {
		t.Errorf("the first load transferred %.0f bytes, past 500 KiB", perf.Transfer)
	}
	if *perfFlag && perf.FCP > 1000 {
		t.Errorf("first contentful paint %.0f ms, past 1 s", perf.FCP)
	}
	d.shot(t, ctx, "tasks")
}

func (d *dashboard) uploadAndInvoke(t *testing.T) {
	ctx := d.tab(t, "/ui/modules")
	wasm, _ := filepath.Abs("../../examples/wat/echo.wasm")
	d.do(t, ctx,
		chromedp.SendKeys(`#upload-name`, "echo"),
		chromedp.SetUploadFiles(`#upload-file`, []string{wasm}),
		chromedp.Click(`form[aria-label="Upload a module"] button[type=submit]`))
	until(t, ctx, `(document.querySelector('main .notice') || {}).textContent?.startsWith('Uploaded echo version 1')`, 10*time.Second)
	until(t, ctx, `[...document.querySelectorAll('main td a')].some((a) => a.textContent === 'echo')`, 5*time.Second)
	d.shot(t, ctx, "modules")

	d.do(t, ctx, chromedp.Click(`main td a[href="/ui/modules/echo"]`), chromedp.WaitVisible(`#invoke-input`),
		chromedp.SendKeys(`#invoke-input`, "hello from the dashboard"), chromedp.Click(`#invoke`))
	until(t, ctx, `document.querySelector('#invoke-headers') !== null`, 10*time.Second)
	out := eval[string](t, ctx, `document.querySelector('section pre').textContent`)
	fuel := eval[string](t, ctx, `document.querySelector('section[aria-live]').dataset.fuel`)
	headers := eval[string](t, ctx, `document.querySelector('#invoke-headers').textContent`)
	if out != "hello from the dashboard" || fuel == "" || fuel == "0" || !strings.Contains(headers, "x-nexus-task-id") {
		t.Fatalf("invoke shows output %q, fuel %q, headers %q", out, fuel, headers)
	}
	if eval[string](t, ctx, `location.pathname`) != "/ui/modules/echo" {
		t.Fatal("the module page is not at /ui/modules/echo")
	}
	d.shot(t, ctx, "module")
}

func (d *dashboard) tasksFinishLive(t *testing.T) {
	ctx := d.tab(t, "/ui/tasks?tag=batch50")
	until(t, ctx, `document.querySelector('tbody[data-ready]') !== null`, 10*time.Second)
	eval[bool](t, ctx, `window.notReloaded = true`)
	body := make([]map[string]any, 50)
	for i := range body {
		body[i] = map[string]any{"module": "echo", "input": fmt.Sprintf("task %d", i), "tags": []string{"batch50"}}
	}
	var subs []struct{ ID string }
	d.api(t, http.MethodPost, "/v1/tasks", body, &subs)
	until(t, ctx, `document.querySelectorAll('tbody tr[data-id]').length === 50 &&
		[...document.querySelectorAll('tbody tr[data-id]')].every((r) => r.dataset.state === 'succeeded')`, 30*time.Second)
	if !eval[bool](t, ctx, `window.notReloaded === true`) {
		t.Fatal("the list reloaded")
	}
	d.shot(t, ctx, "tasks-live")

	// A task's page: its record, output and timeline.
	d.do(t, ctx, chromedp.Click(fmt.Sprintf(`tbody tr[data-id=%q] a`, subs[0].ID)))
	until(t, ctx, `document.querySelector('main[data-state=succeeded] .gantt .bar .succeeded') !== null`, 10*time.Second)
	if out := eval[string](t, ctx, `document.querySelector('pre[aria-label=Output]')?.textContent || ''`); out != "task 0" {
		t.Fatalf("task output %q", out)
	}
	if p := eval[string](t, ctx, `location.pathname`); p != "/ui/tasks/"+subs[0].ID {
		t.Fatalf("task page at %s", p)
	}
	d.shot(t, ctx, "task")
	// The page's URL reloads to the same page.
	d.do(t, ctx, chromedp.Reload())
	until(t, ctx, `document.querySelector('main[data-state=succeeded] .gantt') !== null`, 10*time.Second)
}

func (d *dashboard) cancelRunning(t *testing.T) {
	wasm, err := os.ReadFile("../../examples/wat/longjob/longjob.wasm")
	if err != nil {
		t.Fatal(err)
	}
	d.api(t, http.MethodPost, "/v1/modules/longjob", wasm, nil)
	var rec struct{ ID string }
	d.api(t, http.MethodPost, "/v1/tasks", map[string]any{"module": "longjob", "input": "2000000000", "fuel": int64(1e15), "timeout_ms": 600000}, &rec)
	ctx := d.tab(t, "/ui/tasks/"+rec.ID)
	until(t, ctx, `document.querySelector('main[data-state=running]') !== null`, 20*time.Second)
	d.shot(t, ctx, "task-running")
	d.do(t, ctx, chromedp.Click(`button[data-action=cancel]`))
	until(t, ctx, `document.querySelector('main[data-state=canceled]') !== null`, 20*time.Second)
}

func (d *dashboard) scheduleFires(t *testing.T) {
	d.api(t, http.MethodPost, "/v1/schedules", map[string]any{"name": "every-second", "every": "1s",
		"task": map[string]any{"module": "echo", "input": "tick"}}, nil)
	ctx := d.tab(t, "/ui/schedules/every-second")
	until(t, ctx, `document.querySelector('tr[data-outcome]') !== null`, 20*time.Second)
	d.shot(t, ctx, "schedule")
	d.do(t, ctx, chromedp.Click(`button[data-action=pause]`))
	until(t, ctx, `document.querySelector('button[data-action=resume]') !== null`, 10*time.Second)
}

// workflowDAG submits a diamond of steps that each spin for a while,
// pauses it, opens its page, resumes it with the page's button and sees
// the nodes of the graph turn green in the order of their dependencies.
func (d *dashboard) workflowDAG(t *testing.T) {
	wasm, err := os.ReadFile("../../server/testdata/pure_spin.wasm")
	if err != nil {
		t.Fatal(err)
	}
	d.api(t, http.MethodPost, "/v1/modules/spin", wasm, nil)
	in := binary.LittleEndian.AppendUint32(nil, 30_000_000) // iterations of the spin loop
	step := func(id string, deps ...string) map[string]any {
		return map[string]any{"id": id, "module": "spin", "input_base64": base64.StdEncoding.EncodeToString(in),
			"fuel": int64(1e12), "depends_on": deps}
	}
	left, right := step("left", "seed"), step("right", "seed")
	left["group"], right["group"] = "fetch", "fetch"
	var w struct{ ID string }
	d.api(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "diamond",
		"steps": []any{step("seed"), left, right, step("report", "group:fetch")}}, &w)
	d.api(t, http.MethodPost, "/v1/workflows/"+w.ID+"/pause", nil, nil)

	ctx := d.tab(t, "/ui/workflows/"+w.ID)
	until(t, ctx, `document.querySelectorAll('.dag .node').length === 4 && document.querySelector('button[data-action=resume]') !== null`, 10*time.Second)
	// Record when each node is first seen green.
	eval[bool](t, ctx, `(() => {
		window.greenAt = {};
		const rec = () => document.querySelectorAll('.dag .node').forEach((n) => {
			if (n.dataset.state === 'succeeded' && !(n.dataset.step in greenAt)) greenAt[n.dataset.step] = performance.now();
		});
		new MutationObserver(rec).observe(document.querySelector('main'), {subtree: true, childList: true, attributes: true});
		rec();
		return true;
	})()`)
	d.do(t, ctx, chromedp.Click(`button[data-action=resume]`))
	until(t, ctx, `document.querySelector('main[data-state=succeeded]') !== null && Object.keys(greenAt).length === 4`, 30*time.Second)
	at := eval[map[string]float64](t, ctx, `greenAt`)
	if !(at["seed"] < at["left"] && at["seed"] < at["right"] && max(at["left"], at["right"]) < at["report"]) {
		t.Fatalf("nodes turned green at %v: not in the order of their dependencies", at)
	}
	d.shot(t, ctx, "workflow")
	d.do(t, ctx, chromedp.Click(`nav a[href="/ui/workflows"]`))
	until(t, ctx, fmt.Sprintf(`document.querySelector('tr[data-id=%q][data-state=succeeded]') !== null`, w.ID), 10*time.Second)
	d.shot(t, ctx, "workflows")
}

// liveLoad submits 1,000 tasks a second for -ui.live seconds while a tab
// shows the task list, and reads the tab's main-thread time from the
// Chrome DevTools Protocol's Performance metrics.
func (d *dashboard) liveLoad(t *testing.T) {
	ctx := d.tab(t, "/ui/tasks?module=echo")
	until(t, ctx, `document.querySelector('tbody[data-ready]') !== null`, 10*time.Second)
	metrics := func() map[string]float64 {
		var m map[string]float64
		if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			r, err := cdp.Call(ctx, tg, performance.GetMetrics, cdp.Empty{})
			if err != nil {
				return err
			}
			m = make(map[string]float64)
			for _, x := range r.Metrics {
				m[x.Name] = x.Value
			}
			return nil
		})); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, performance.Enable, performance.EnableParams{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	// The CPU time of the renderer processes, every thread of them.
	rendererCPU := func() float64 {
		r, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, systeminfo.GetProcessInfo, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, p := range r.ProcessInfo {
			if p.Type == "renderer" {
				sum += p.CPUTime
			}
		}
		return sum
	}
	before, cpu0 := metrics(), rendererCPU()
	received0 := eval[float64](t, ctx, `performance.now()`)
	start := time.Now()
	svc := d.n.Tasks()
	var last string
	total := 1000 * *liveFlag
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// Every tick submits what keeps the count at 1,000 a second since the
	// start, in one list: a slow submission makes the next list longer.
	for done := 0; done < total; <-tick.C {
		due := min(total, int(time.Since(start).Seconds()*1000)+100)
		specs := make([]tasks.Spec, due-done)
		for j := range specs {
			specs[j] = tasks.Spec{Module: "echo", Input: []byte("load")}
		}
		for _, s := range svc.SubmitMany(context.Background(), specs) {
			if s.Err != nil {
				t.Fatal(s.Err)
			}
			last = s.Record.ID
		}
		done = due
	}
	submitting := time.Since(start)
	// The list keeps up: the last task submitted tops it, finished.
	until(t, ctx, fmt.Sprintf(`document.querySelector('tbody tr[data-id]')?.dataset.id === %q &&
		document.querySelector('tbody tr[data-id]').dataset.state === 'succeeded'`, last), 60*time.Second)
	wall := time.Since(start)
	after, cpu1 := metrics(), rendererCPU()
	pageMs := eval[float64](t, ctx, `performance.now()`) - received0
	secs := pageMs / 1000
	mainThread := (after["TaskDuration"] - before["TaskDuration"]) / secs
	renderer := (cpu1 - cpu0) / secs
	script := after["ScriptDuration"] - before["ScriptDuration"]
	fmt.Printf("live view: %d tasks submitted in %v at 1,000/s, the list current %v after the first; "+
		"the tab's renderer used %.2f cores (main thread busy %.1f%%, script %.2f s of %.2f s)\n",
		total, submitting.Round(time.Millisecond), wall.Round(time.Millisecond), renderer, 100*mainThread, script, secs)
	if *perfFlag && renderer > 1 {
		t.Errorf("the tab's renderer used %.2f cores", renderer)
	}
	d.shot(t, ctx, "tasks-load")
	// The overview, reached without a reload, has the load's seconds in
	// its graphs.
	d.do(t, ctx, chromedp.Click(`nav a[href="/ui/"]`))
	until(t, ctx, `document.body.dataset.page === 'Overview' && document.querySelector('.chart path').getAttribute('d')?.length > 0`, 10*time.Second)
	d.shot(t, ctx, "overview-load")
}

// pages opens every page by its URL, light and dark, and saves a screenshot.
func (d *dashboard) pages(t *testing.T) {
	ctx := d.tab(t, "/ui/")
	until(t, ctx, `document.querySelector('.card .v') && document.querySelector('.card .v').textContent !== '—'`, 10*time.Second)
	d.shot(t, ctx, "overview")
	for _, p := range []struct{ path, name string }{
		{"/ui/tasks/new?module=echo", "task-new"}, {"/ui/schedules", "schedules"}, {"/ui/bundles", "bundles"},
		{"/ui/events", "events"}, {"/ui/no-such-page", "not-found"},
	} {
		d.do(t, ctx, chromedp.Navigate(d.n.URL()+p.path), chromedp.WaitVisible(`main h1`))
		d.shot(t, ctx, p.name)
	}
	d.do(t, ctx, chromedp.Navigate(d.n.URL()+"/ui/"), chromedp.WaitVisible(`main h1`), chromedp.Click(`#theme`))
	until(t, ctx, `document.documentElement.dataset.theme === 'dark'`, 5*time.Second)
	d.shot(t, ctx, "overview-dark")
	// Keyboard: the skip link is the first stop and moves focus to main.
	d.do(t, ctx, chromedp.Navigate(d.n.URL()+"/ui/events"), chromedp.WaitVisible(`main h1`), chromedp.KeyEvent("\t"))
	if eval[string](t, ctx, `document.activeElement.className`) != "skip" {
		t.Error("the first tab stop is not the skip link")
	}
}
