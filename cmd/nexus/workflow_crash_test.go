package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
)

var (
	crashSteps = flag.Int("crash.steps", 100, "steps of TestWorkflowCrashRecovery's DAG (the issue's full size is 500)")
	crashKills = flag.Int("crash.kills", 2, "SIGKILLs of TestWorkflowCrashRecovery (the issue's full count is 3)")
)

// stepHash is examples/workflows/step.wasm's output for in.
func stepHash(in []byte) string {
	h := uint64(0xcbf29ce484222325)
	for _, c := range in {
		h = (h ^ uint64(c)) * 0x100000001b3
	}
	return fmt.Sprintf("%016x", h)
}

// crashDAG returns a DAG of n steps, half of them counting, (step i depends on i-1 and
// i/2 and reads both through the envelope) with a counting callback, and
// the result an uninterrupted run gives.
func crashDAG(n int) ([]byte, string) {
	type step struct {
		ID        string            `json:"id"`
		Module    string            `json:"module"`
		Input     string            `json:"input,omitempty"`
		DependsOn []string          `json:"depends_on,omitempty"`
		InputFrom []string          `json:"input_from,omitempty"`
		Config    map[string]string `json:"config"`
	}
	steps := make([]step, n)
	out := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("s%d", i)
		// Even steps count their runs in kv; odd ones write no kv, so
		// their dependents start while their outcome is being committed.
		st := step{ID: id, Module: "step", Config: map[string]string{"count": id}}
		if i%2 == 1 {
			st.Config = map[string]string{}
		}
		var in []byte
		if i == 0 {
			st.Input, in = "seed", []byte("seed")
		} else {
			srcs := []int{i - 1}
			if i/2 != i-1 {
				srcs = append(srcs, i/2)
			}
			var env bytes.Buffer
			env.WriteByte('{')
			for k, j := range srcs {
				if k > 0 {
					env.WriteByte(',')
				}
				fmt.Fprintf(&env, "%q:%q", steps[j].ID, base64.StdEncoding.EncodeToString([]byte(out[j])))
				st.DependsOn = append(st.DependsOn, steps[j].ID)
			}
			env.WriteByte('}')
			st.InputFrom, in = st.DependsOn, env.Bytes()
		}
		steps[i], out[i] = st, stepHash(in)
	}
	body, _ := json.Marshal(map[string]any{
		"name": "crash", "steps": steps,
		"callback": map[string]any{"module": "step", "config": map[string]string{"count": "callback", "mode": "echo"}},
	})
	return body, out[n-1]
}

// TestWorkflowCrashRecovery runs a DAG of counting steps on a real `nexus
// serve` child process, killing it with SIGKILL at random points of the
// run and restarting it. After the last restart the workflow succeeds,
// every step's guest counted exactly once in kv (a hand-off lost or
// repeated by a kill would show), the callback ran exactly once, and the
// result is the one an uninterrupted run gives.
func TestWorkflowCrashRecovery(t *testing.T) {
	n, kills := *crashSteps, *crashKills
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 2))
	t.Logf("%d steps, %d kills, seed %d", n, kills, seed)
	body, want := crashDAG(n)

	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)
	if code, b := d.push(t, "step", "../../examples/workflows/step.wasm"); code != http.StatusCreated {
		t.Fatalf("push: %d %s", code, b)
	}
	code, b := d.do(t, "POST", "/v1/workflows", "application/json", body)
	if code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, b)
	}
	var wf struct {
		ID     string         `json:"id"`
		State  string         `json:"state"`
		Counts map[string]int `json:"counts"`
		Task   string         `json:"callback_task_id"`
	}
	json.Unmarshal(b, &wf)
	get := func() {
		t.Helper()
		code, b := d.do(t, "GET", "/v1/workflows/"+wf.ID, "", nil)
		if code != http.StatusOK || json.Unmarshal(b, &wf) != nil {
			t.Fatalf("get: %d %s", code, b)
		}
	}
	for k := range kills {
		// A random point of the run: after some steps succeeded.
		at := int(float64(n) * (float64(k) + rng.Float64()) / float64(kills+1))
		for get(); wf.Counts["succeeded"] < at && wf.State == "running"; get() {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		d.cmd.Process.Kill()
		<-d.done
		t.Logf("SIGKILL %d at about %d steps succeeded", k+1, wf.Counts["succeeded"])
		d = startDaemon(t, dataDir)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	var result []byte
	for deadline := time.Now().Add(time.Minute); ; {
		resp, err := hc.Get(d.url + "/v1/workflows/" + wf.ID + "/result?wait=5s")
		if err != nil {
			t.Fatal(err)
		}
		result, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted && time.Now().Before(deadline) {
			continue
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("result: %d %s\n%s", resp.StatusCode, result, d.log())
		}
		break
	}
	if string(result) != want {
		t.Fatalf("result %q, want %q (an uninterrupted run's)", result, want)
	}
	get()
	if wf.State != "succeeded" || wf.Counts["succeeded"] != n || wf.Task == "" {
		t.Fatalf("workflow: %+v", wf)
	}
	if code, b := d.do(t, "GET", "/v1/tasks/"+wf.Task+"/result?wait=30s", "", nil); code != http.StatusOK {
		t.Fatalf("callback: %d %s", code, b)
	}
	d.stop(t, syscall.SIGTERM)

	db, err := store.Open(dataDir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range n + 1 {
		key := fmt.Sprintf("s%d", i)
		if i == n {
			key = "callback"
		} else if i%2 == 1 {
			continue
		}
		v, found, err := db.Get("step", key)
		if err != nil || !found || len(v) != 8 || binary.LittleEndian.Uint64(v) != 1 {
			t.Fatalf("counter %s = %v (found %v, %v): want exactly one successful run", key, v, found, err)
		}
	}
}
