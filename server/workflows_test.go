package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/workflow"
	"github.com/nexustask/nexus/server"
)

// startWorkflows starts a node and uploads the workflow example guest as
// module "step".
func startWorkflows(t *testing.T) *instance {
	t.Helper()
	in := start(t, t.TempDir(), server.Config{})
	resp, err := http.Post(in.URL+"/v1/modules/step", "application/wasm", bytes.NewReader(readFile(t, "../examples/workflows/step.wasm")))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	return in
}

// submitWF posts body to path and returns the workflow's id.
func submitWF(t *testing.T, url, path, body string) workflow.View {
	t.Helper()
	code, _, b := doReq(t, http.MethodPost, url+path, body)
	if code != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", path, code, b)
	}
	return decode[workflow.View](t, b)
}

// wfResult long-polls a workflow's result until it has finished.
func wfResult(t *testing.T, url, id string) (int, []byte) {
	t.Helper()
	for range 20 {
		code, _, b := doReq(t, http.MethodGet, url+"/v1/workflows/"+id+"/result?wait=1s", "")
		if code != http.StatusAccepted {
			return code, b
		}
	}
	_, _, b := doReq(t, http.MethodGet, url+"/v1/workflows/"+id, "")
	t.Fatalf("workflow %s has not finished in 2 minutes: %s", id, b)
	return 0, nil
}

// fnv is the step guest's hash of in, in hex.
func fnv(in []byte) string {
	h := uint64(0xcbf29ce484222325)
	for _, c := range in {
		h = (h ^ uint64(c)) * 0x100000001b3
	}
	const digits = "0123456789abcdef"
	out := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		out[i] = digits[h&15]
		h >>= 4
	}
	return string(out)
}

func TestWorkflowChain(t *testing.T) {
	in := startWorkflows(t)
	v := submitWF(t, in.URL, "/v1/chains", `{"tasks": [
		{"module": "step", "input": "hello", "config": {"mode": "echo"}},
		{"module": "step"},
		{"module": "step"}]}`)
	if v.Kind != workflow.KindChain || len(v.Steps) != 3 {
		t.Fatalf("chain: %+v", v)
	}
	code, out := wfResult(t, in.URL, v.ID)
	if want := fnv([]byte(fnv([]byte("hello")))); code != http.StatusOK || string(out) != want {
		t.Fatalf("result: %d %q, want %q", code, out, want)
	}
	code, _, b := doReq(t, http.MethodGet, in.URL+"/v1/workflows/"+v.ID, "")
	got := decode[workflow.View](t, b)
	if code != http.StatusOK || got.State != workflow.Succeeded || got.Counts["succeeded"] != 3 {
		t.Fatalf("record: %d %+v", code, got)
	}
	for _, s := range got.Steps {
		if s.TaskID == "" || s.State != "succeeded" {
			t.Fatalf("step %+v", s)
		}
	}
}

func TestWorkflowDAGGroupEnvelope(t *testing.T) {
	in := startWorkflows(t)
	v := submitWF(t, in.URL, "/v1/workflows", `{"name": "fanin", "tags": ["demo"], "steps": [
		{"id": "a", "module": "step", "input": "x", "group": "g"},
		{"id": "b", "module": "step", "input": "y", "group": "g"},
		{"id": "join", "module": "step", "depends_on": ["group:g"], "input_from": ["a", "b"], "config": {"mode": "echo"}}]}`)
	code, out := wfResult(t, in.URL, v.ID)
	if code != http.StatusOK {
		t.Fatalf("result: %d %s", code, out)
	}
	var env map[string]string
	if err := json.Unmarshal(out, &env); err != nil {
		t.Fatalf("envelope %s: %v", out, err)
	}
	for id, input := range map[string]string{"a": "x", "b": "y"} {
		got, _ := base64.StdEncoding.DecodeString(env[id])
		if string(got) != fnv([]byte(input)) {
			t.Fatalf("envelope %s = %q, want %q", id, got, fnv([]byte(input)))
		}
	}
	code, _, b := doReq(t, http.MethodGet, in.URL+"/v1/workflows?tag=demo&state=succeeded", "")
	list := decode[server.WorkflowList](t, b)
	if code != http.StatusOK || len(list.Workflows) != 1 || list.Workflows[0].ID != v.ID {
		t.Fatalf("list: %d %s", code, b)
	}
	code, _, b = doReq(t, http.MethodGet, in.URL+"/v1/workflows/"+v.ID+"/graph?format=mermaid", "")
	if code != http.StatusOK || !strings.Contains(string(b), "s_a --> s_join") || !strings.Contains(string(b), "join: succeeded") {
		t.Fatalf("graph: %d %s", code, b)
	}
	code, _, b = doReq(t, http.MethodGet, in.URL+"/v1/workflows/"+v.ID+"/graph?format=dot", "")
	if code != http.StatusOK || !strings.Contains(string(b), `"b" -> "join"`) {
		t.Fatalf("dot: %d %s", code, b)
	}
}

func TestWorkflowMap(t *testing.T) {
	in := startWorkflows(t)
	v := submitWF(t, in.URL, "/v1/workflows", `{"steps": [
		{"id": "list", "module": "step", "input": "[1, \"two\", {\"k\": 3}]", "config": {"mode": "echo"}},
		{"id": "each", "depends_on": ["list"], "input_from": "list", "map": {"module": "step"}}]}`)
	code, out := wfResult(t, in.URL, v.ID)
	if code != http.StatusOK {
		t.Fatalf("result: %d %s", code, out)
	}
	var arr []string
	if err := json.Unmarshal(out, &arr); err != nil || len(arr) != 3 {
		t.Fatalf("map output %s: %v", out, err)
	}
	for i, el := range []string{`1`, `"two"`, `{"k":3}`} {
		got, _ := base64.StdEncoding.DecodeString(arr[i])
		if string(got) != fnv([]byte(el)) {
			t.Fatalf("element %d: %q, want hash of %s", i, got, el)
		}
	}
}

func TestWorkflowBatchCallback(t *testing.T) {
	in := startWorkflows(t)
	v := submitWF(t, in.URL, "/v1/batches", `{"tasks": [
		{"module": "step", "input": "1"}, {"module": "step", "input": "2"}],
		"callback": {"module": "step", "config": {"mode": "echo"}}, "on": "success"}`)
	code, out := wfResult(t, in.URL, v.ID)
	if code != http.StatusOK {
		t.Fatalf("result: %d %s", code, out)
	}
	_, _, b := doReq(t, http.MethodGet, in.URL+"/v1/workflows/"+v.ID, "")
	got := decode[workflow.View](t, b)
	if !got.CallbackFired || got.CallbackTask == "" {
		t.Fatalf("callback not fired: %s", b)
	}
	code, _, cb := doReq(t, http.MethodGet, in.URL+"/v1/tasks/"+got.CallbackTask+"/result?wait=1s", "")
	var sum struct {
		WorkflowID string            `json:"workflow_id"`
		Steps      map[string]string `json:"steps"`
		Outputs    map[string]string `json:"outputs"`
	}
	if err := json.Unmarshal(cb, &sum); err != nil || code != http.StatusOK {
		t.Fatalf("callback output %d %s: %v", code, cb, err)
	}
	o, _ := base64.StdEncoding.DecodeString(sum.Outputs["t1"])
	if sum.WorkflowID != v.ID || sum.Steps["t0"] != "succeeded" || string(o) != fnv([]byte("2")) {
		t.Fatalf("summary %s", cb)
	}
}

func TestWorkflowFailurePolicies(t *testing.T) {
	in := startWorkflows(t)
	// fail: the workflow fails, the step after is canceled.
	v := submitWF(t, in.URL, "/v1/workflows", `{"steps": [
		{"id": "a", "module": "step", "config": {"mode": "fail"}, "max_retries": 0},
		{"id": "b", "module": "step", "depends_on": ["a"]}]}`)
	code, b := wfResult(t, in.URL, v.ID)
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "task_error") {
		t.Fatalf("failed workflow's result: %d %s", code, b)
	}
	_, _, b = doReq(t, http.MethodGet, in.URL+"/v1/workflows/"+v.ID, "")
	got := decode[workflow.View](t, b)
	if got.State != workflow.Failed || got.Steps[0].State != "dead" || got.Steps[1].State != "canceled" {
		t.Fatalf("fail policy: %s", b)
	}
	// continue: the dependent runs and sees the failure in its envelope.
	v = submitWF(t, in.URL, "/v1/workflows", `{"steps": [
		{"id": "a", "module": "step", "config": {"mode": "fail"}, "max_retries": 0, "on_failure": "continue"},
		{"id": "b", "module": "step", "depends_on": ["a"], "input_from": ["a"], "config": {"mode": "echo"}}]}`)
	code, b = wfResult(t, in.URL, v.ID)
	if code != http.StatusOK || !strings.Contains(string(b), `"a":{"state":"dead","error_code":"task_error"`) {
		t.Fatalf("continue: %d %s", code, b)
	}
	// skip: the dependents are skipped, and theirs.
	v = submitWF(t, in.URL, "/v1/workflows", `{"steps": [
		{"id": "a", "module": "step", "config": {"mode": "fail"}, "max_retries": 0, "on_failure": "skip"},
		{"id": "b", "module": "step", "depends_on": ["a"]},
		{"id": "c", "module": "step", "depends_on": ["b"]},
		{"id": "d", "module": "step", "input": "ok"}]}`)
	wfResult(t, in.URL, v.ID)
	_, _, b = doReq(t, http.MethodGet, in.URL+"/v1/workflows/"+v.ID, "")
	got = decode[workflow.View](t, b)
	if got.State != workflow.Succeeded || got.Steps[1].State != "skipped" || got.Steps[2].State != "skipped" || got.Steps[3].State != "succeeded" {
		t.Fatalf("skip policy: %s", b)
	}
}

func TestWorkflowRetryPauseCancel(t *testing.T) {
	in := startWorkflows(t)
	v := submitWF(t, in.URL, "/v1/workflows", `{"steps": [
		{"id": "a", "module": "step", "config": {"mode": "fail"}, "max_retries": 0},
		{"id": "b", "module": "step", "depends_on": ["a"]}]}`)
	wfResult(t, in.URL, v.ID)
	code, _, b := doReq(t, http.MethodPost, in.URL+"/v1/workflows/"+v.ID+"/retry", "")
	if code != http.StatusOK {
		t.Fatalf("retry: %d %s", code, b)
	}
	got := decode[workflow.View](t, b)
	if got.State != workflow.Running || got.Steps[0].Attempt != 1 {
		t.Fatalf("retried: %s", b)
	}
	code, b = wfResult(t, in.URL, v.ID) // fails again: the guest always fails
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("retried result: %d %s", code, b)
	}
	code, _, b = doReq(t, http.MethodPost, in.URL+"/v1/workflows/"+v.ID+"/cancel", "")
	if code != http.StatusConflict {
		t.Fatalf("cancel of a failed workflow: %d %s", code, b)
	}
	code, _, b = doReq(t, http.MethodPost, in.URL+"/v1/workflows/NOPE/pause", "")
	if code != http.StatusNotFound || !strings.Contains(string(b), "workflow_not_found") {
		t.Fatalf("pause of an unknown workflow: %d %s", code, b)
	}
}

func TestWorkflowValidation(t *testing.T) {
	in := startWorkflows(t)
	for _, c := range []struct{ body, want string }{
		{`{"steps": [{"id": "a", "module": "step", "depends_on": ["b"]}, {"id": "b", "module": "step", "depends_on": ["a"]}]}`, "cycle: a → b → a"},
		{`{"steps": [{"id": "a", "module": "step", "depends_on": ["zz"]}]}`, `unknown step \"zz\"`},
		{`{"steps": [{"id": "a", "module": "step", "depends_on": ["group:g"]}]}`, `unknown group \"g\"`},
		{`{"steps": [{"id": "a", "module": "step"}, {"id": "a", "module": "step"}]}`, `duplicate step id \"a\"`},
		{`{"steps": [{"id": "a", "module": "nope1"}, {"id": "b", "module": "nope2"}]}`, "missing modules: nope1, nope2"},
		{`{"steps": [{"id": "a", "module": "step"}, {"id": "b", "module": "step", "input_from": "a"}]}`, `not one of its dependencies`},
		{`{"steps": []}`, "at least one step"},
	} {
		code, _, b := doReq(t, http.MethodPost, in.URL+"/v1/workflows", c.body)
		if code != http.StatusBadRequest || !strings.Contains(string(b), "invalid_request") || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s, want 400 naming %q", c.body, code, b, c.want)
		}
	}
	var steps []string
	for i := range workflow.DefaultMaxSteps + 1 {
		steps = append(steps, `{"id": "s`+strconv.Itoa(i)+`", "module": "step"}`)
	}
	code, _, b := doReq(t, http.MethodPost, in.URL+"/v1/workflows", `{"steps": [`+strings.Join(steps, ",")+`]}`)
	if code != http.StatusBadRequest || !strings.Contains(string(b), "--max-steps") {
		t.Errorf("too many steps: %d %s", code, b)
	}
}

func TestWorkflowBatchURLCallback(t *testing.T) {
	in := startWorkflows(t)
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer recv.Close()
	v := submitWF(t, in.URL, "/v1/batches", `{"tasks": [{"module": "step", "input": "1"},
		{"module": "step", "config": {"mode": "fail"}, "max_retries": 0}],
		"callback": {"url": "`+recv.URL+`/done", "secret": "whsec_c2VjcmV0"}, "on": "complete"}`)
	if code, b := wfResult(t, in.URL, v.ID); code != http.StatusOK {
		t.Fatalf("result: %d %s", code, b)
	}
	var r *http.Request
	select {
	case r = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no callback delivered")
	}
	body := <-bodies
	var ev struct {
		Type     string `json:"type"`
		Workflow string `json:"workflow_id"`
		Data     struct {
			Summary struct {
				Steps map[string]string `json:"steps"`
			} `json:"summary"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type != "batch.callback_fired" || ev.Workflow != v.ID ||
		ev.Data.Summary.Steps["t0"] != "succeeded" || ev.Data.Summary.Steps["t1"] != "dead" {
		t.Fatalf("delivery %s: %v", body, err)
	}
	if r.URL.Path != "/done" || r.Header.Get("webhook-signature") == "" {
		t.Fatalf("delivery to %s, signature %q", r.URL.Path, r.Header.Get("webhook-signature"))
	}
	_, _, b := doReq(t, http.MethodGet, in.URL+"/v1/workflows/"+v.ID, "")
	if w := decode[workflow.View](t, b); w.State != workflow.Succeeded || !w.CallbackFired {
		t.Fatalf("batch on complete with a failed task: %s", b)
	}
}

func TestWorkflowPauseResume(t *testing.T) {
	in := startWorkflows(t)
	v := submitWF(t, in.URL, "/v1/workflows", `{"steps": [
		{"id": "a", "module": "step", "input": "x", "delay_ms": 1500},
		{"id": "b", "module": "step", "depends_on": ["a"], "input_from": "a"}]}`)
	// a waits 1.5 s, long enough for the pause to come first.
	code, _, b := doReq(t, http.MethodPost, in.URL+"/v1/workflows/"+v.ID+"/pause", "")
	if code != http.StatusOK || decode[workflow.View](t, b).State != workflow.Paused {
		t.Fatalf("pause: %d %s", code, b)
	}
	// a, queued before the pause, runs; b does not start.
	code, _, b = doReq(t, http.MethodGet, in.URL+"/v1/tasks/"+v.Steps[0].TaskID+"/result?wait=30s", "")
	if code != http.StatusOK {
		t.Fatalf("step a: %d %s", code, b)
	}
	var got workflow.View
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		_, _, b = doReq(t, http.MethodGet, in.URL+"/v1/workflows/"+v.ID, "")
		if got = decode[workflow.View](t, b); got.Steps[0].State == "succeeded" {
			break
		}
	}
	if got.State != workflow.Paused || got.Steps[1].State != "pending" {
		t.Fatalf("paused: %s", b)
	}
	if code, _, b = doReq(t, http.MethodPost, in.URL+"/v1/workflows/"+v.ID+"/resume", ""); code != http.StatusOK {
		t.Fatalf("resume: %d %s", code, b)
	}
	if code, out := wfResult(t, in.URL, v.ID); code != http.StatusOK || string(out) != fnv([]byte(fnv([]byte("x")))) {
		t.Fatalf("result after resume: %d %s", code, out)
	}
}
