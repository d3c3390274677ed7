package main_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
)

// TestSpawnCrashRecovery kills a real `nexus serve` with SIGKILL while a
// parent task awaits its children, restarts it and checks that the
// retried parent got the same children back: it finishes with every
// child's output, each child's kv counter is exactly 1 (a finished child
// was not run again, an interrupted one ran to success once), and no
// task of the child module exists beyond the parent's children.
func TestSpawnCrashRecovery(t *testing.T) {
	const children = 6
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)
	must := mustf(t)
	must(nexus(t, d, "module", "push", "tt", "../../internal/tasks/testdata/tasktest.wasm"))
	must(nexus(t, d, "module", "push", "sp", "../../internal/tasks/testdata/spawner.wasm"))

	// spawner.wat: mode a, N children of tt with input "s" + their index:
	// tt's slow count (about half a second of spinning, then a kv count
	// under the key of the index byte).
	in := []byte{'a', 0, 0, 0, 0, 2, 't', 't', 's'}
	binary.LittleEndian.PutUint32(in[1:], children)
	body, _ := json.Marshal(map[string]any{"module": "sp", "input_base64": in, "timeout_ms": 120_000})
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Post(d.url+"/v1/tasks", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	var parent struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&parent)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || parent.ID == "" {
		t.Fatalf("submit: %d", resp.StatusCode)
	}

	// Kill the server once the first child has finished: the parent is
	// then awaiting the others, some running, some queued.
	first := tasks.ChildID(parent.ID, 0)
	for deadline := time.Now().Add(time.Minute); ; {
		status, _ := spawnGet(t, hc, d.url+"/v1/tasks/"+first+"/result?wait=20s")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first child did not finish in a minute (last status %d)", status)
		}
		if status == http.StatusNotFound { // not spawned yet
			time.Sleep(10 * time.Millisecond)
		}
	}
	d.cmd.Process.Kill()
	<-d.done
	d = startDaemon(t, dataDir)

	status, out := spawnGet(t, hc, d.url+"/v1/tasks/"+parent.ID+"/result?wait=2m")
	if want := strings.Repeat("1,", children); status != http.StatusOK || out != want {
		t.Fatalf("parent after the crash: %d %q, want %q", status, out, want)
	}
	_, rec := spawnGet(t, hc, d.url+"/v1/tasks/"+parent.ID)
	var pr struct{ Attempts int }
	json.Unmarshal([]byte(rec), &pr)
	if pr.Attempts < 2 {
		t.Errorf("parent ran %d attempts: the crash did not interrupt it", pr.Attempts)
	}
	_, list := spawnGet(t, hc, d.url+"/v1/tasks?module=tt&limit=100")
	var l struct{ Tasks []struct{ ID string } }
	if err := json.Unmarshal([]byte(list), &l); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for i := range children {
		ids[tasks.ChildID(parent.ID, i)] = true
	}
	if len(l.Tasks) != children {
		t.Errorf("%d tasks of the child module, want %d", len(l.Tasks), children)
	}
	for _, c := range l.Tasks {
		if !ids[c.ID] {
			t.Errorf("task %s is not a child of the parent", c.ID)
		}
	}
	d.stop(t, syscall.SIGTERM)

	db, err := store.Open(dataDir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range children {
		v, found, err := db.Get("tt", string([]byte{byte(i)}))
		if err != nil || !found || len(v) != 8 || binary.LittleEndian.Uint64(v) != 1 {
			t.Errorf("child %d counted %v (found %v, %v): want exactly one successful run", i, v, found, err)
		}
	}
}

// spawnGet returns the status and body of a GET.
func spawnGet(t *testing.T, hc *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(fmt.Errorf("GET %s: %w", url, err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
