package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/server"
)

// TestTasksCacheTTLHTTP: POST /v1/tasks with cache_ttl_ms runs a pure
// module's task through the result cache the invokes use (the second task
// is a hit, and so is an invoke of the same input), and refuses a module
// that is not pure with the invoke path's 400, storing nothing.
func TestTasksCacheTTLHTTP(t *testing.T) {
	c, err := cache.New(cache.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	url := startTasksWith(t, tasks.Config{Cache: c})
	wasm, err := os.ReadFile("testdata/pure_echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url+"/v1/modules/pe", "application/wasm", bytes.NewReader(wasm))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", resp.Status, err)
	}
	resp.Body.Close()

	var views []server.TaskView
	for range 2 {
		st, _, b := doReq(t, "POST", url+"/v1/tasks", `{"module":"pe","input":"cached","cache_ttl_ms":60000}`)
		if st != http.StatusAccepted {
			t.Fatalf("submit: %d %s", st, b)
		}
		id := decode[server.TaskView](t, b).ID
		if st, _, b := doReq(t, "GET", url+"/v1/tasks/"+id+"/result?wait=10s", ""); st != 200 || string(b) != "cached" {
			t.Fatalf("result: %d %q", st, b)
		}
		_, _, b = doReq(t, "GET", url+"/v1/tasks/"+id, "")
		views = append(views, decode[server.TaskView](t, b))
	}
	if views[0].Cache != "miss" || views[1].Cache != "hit" || views[1].FuelUsed != views[0].FuelUsed || views[0].FuelUsed <= 0 {
		t.Fatalf("cache of the two tasks: %q fuel %d, %q fuel %d", views[0].Cache, views[0].FuelUsed, views[1].Cache, views[1].FuelUsed)
	}
	if st := c.Stats(); st.Misses != 1 || st.Hits != 1 {
		t.Fatalf("cache stats after two tasks: %+v", st)
	}
	// An invoke of the same input and limits finds the tasks' entry.
	st, h, b := doReq(t, "POST", url+"/v1/modules/pe/invoke?cache_ttl=1m", "cached")
	if st != 200 || string(b) != "cached" || h.Get(server.HeaderCache) != server.CacheHit {
		t.Fatalf("invoke after the tasks: %d %q cache %q", st, b, h.Get(server.HeaderCache))
	}

	// Not pure: the same 400 as an invoke with cache_ttl, nothing stored.
	_, _, ib := doReq(t, "POST", url+"/v1/modules/tt/invoke?cache_ttl=1m", "cx")
	st, _, b = doReq(t, "POST", url+"/v1/tasks", `{"module":"tt","input":"cx","cache_ttl_ms":60000}`)
	got, want := decode[server.ErrorBody](t, b), decode[server.ErrorBody](t, ib)
	if st != 400 || got.Error.Code != "invalid_request" || got.Error.Message != want.Error.Message || want.Error.Code != "invalid_request" {
		t.Fatalf("impure task: %d %s; invoke answered %s", st, b, ib)
	}
	_, _, b = doReq(t, "GET", url+"/v1/tasks?module=tt", "")
	if l := decode[server.TaskList](t, b); len(l.Tasks) != 0 {
		t.Fatalf("a refused task was stored: %s", b)
	}
}

// TestTaskLeaseInJSON: a running task's record shows its lease, renewed
// while the attempt runs.
func TestTaskLeaseInJSON(t *testing.T) {
	const lease = 600 * time.Millisecond // a sweep every 200 ms
	url := startTasksWith(t, tasks.Config{Lease: lease})
	_, _, b := doReq(t, "POST", url+"/v1/tasks", `{"module":"tt","input":"l","fuel":1000000000000,"timeout_ms":2500,"max_retries":0}`)
	id := decode[server.TaskView](t, b).ID
	var leases []time.Time
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(30 * time.Millisecond) {
		_, _, b := doReq(t, "GET", url+"/v1/tasks/"+id, "")
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		v := decode[server.TaskView](t, b)
		if v.State.Terminal() {
			if _, ok := raw["lease_until"]; ok {
				t.Fatalf("finished task with a lease: %s", b)
			}
			break
		}
		if v.State != tasks.Running {
			continue
		}
		if _, ok := raw["lease_until"]; !ok || !v.LeaseUntil.After(time.Now()) {
			t.Fatalf("running task's record: %s", b)
		}
		leases = append(leases, v.LeaseUntil)
	}
	if len(leases) < 2 || !leases[len(leases)-1].After(leases[0].Add(lease)) {
		t.Fatalf("lease not renewed: %v", leases)
	}
}
