package main_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
)

var crashTasks = flag.Int("crash.tasks", 0, "tasks of TestTaskCrashRecovery (default 1000, 300 with -short; the issue's full size is 5000)")

// TestTaskCrashRecovery submits tasks with idempotency keys to a real
// `nexus serve` child process while killing it with SIGKILL at random
// moments three times and restarting it. Each task's guest adds one to a
// kv counter named by its key. At the end every task that got a 202 (or a
// 200 for its key) has succeeded, every counter is exactly 1 (a task whose
// kv effect was applied twice, or lost, would show), the tasks on disk are
// exactly the accepted ones, and bbolt's consistency check passes.
func TestTaskCrashRecovery(t *testing.T) {
	n := *crashTasks
	if n == 0 {
		n = 1000
		if testing.Short() {
			n = 300
		}
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("%d tasks, seed %d", n, seed)

	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)
	mustf(t)(nexus(t, d, "module", "push", "tt", "../../internal/tasks/testdata/tasktest.wasm"))
	var cur atomic.Pointer[daemon]
	cur.Store(d)

	keys := make(chan string, n)
	for i := range n {
		keys <- fmt.Sprintf("key-%05d", i)
	}
	var mu sync.Mutex
	accepted := map[string]string{} // key → task id
	var acceptedN atomic.Int64
	hc := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var key string
				select {
				case key = <-keys:
				default:
					return
				}
				id, err := submitKeyed(hc, cur.Load().url, key)
				if err != nil { // the server is down or restarting: again later
					keys <- key
					time.Sleep(20 * time.Millisecond)
					continue
				}
				mu.Lock()
				if old, ok := accepted[key]; ok && old != id {
					t.Errorf("key %s accepted as %s and as %s", key, old, id)
				}
				accepted[key] = id
				mu.Unlock()
				acceptedN.Add(1)
			}
		}()
	}

	// Three SIGKILLs at random points of the submission stream.
	for k := range 3 {
		at := int64(float64(n) * (float64(k) + rng.Float64()) / 4)
		for acceptedN.Load() < at {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		old := cur.Load()
		old.cmd.Process.Kill()
		<-old.done
		t.Logf("SIGKILL %d after %d acceptances", k+1, acceptedN.Load())
		cur.Store(startDaemon(t, dataDir))
	}
	wg.Wait()
	d = cur.Load()
	if len(accepted) != n {
		t.Fatalf("%d keys accepted, want %d", len(accepted), n)
	}

	// Every accepted task finishes, successfully, having counted once.
	deadline := time.Now().Add(2 * time.Minute)
	for key, id := range accepted {
		for {
			resp, err := hc.Get(d.url + "/v1/tasks/" + id + "/result?wait=5s")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted && time.Now().Before(deadline) {
				continue // not finished yet
			}
			if resp.StatusCode != http.StatusOK || string(body) != "1" {
				t.Fatalf("task %s (%s): %d %q", id, key, resp.StatusCode, body)
			}
			break
		}
	}
	d.stop(t, syscall.SIGTERM)

	db, err := store.Open(dataDir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
	for key := range accepted {
		v, found, err := db.Get("tt", key)
		if err != nil || !found || len(v) != 8 || binary.LittleEndian.Uint64(v) != 1 {
			t.Fatalf("counter %s = %v (found %v, %v): want exactly one successful execution", key, v, found, err)
		}
	}
	onDisk := map[string]tasks.Record{}
	f := tasks.Filter{}
	for {
		page, err := db.ListTasks(f, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			onDisk[r.ID] = r
		}
		if len(page) < 1000 {
			break
		}
		f.Cursor = page[len(page)-1].ID
	}
	if len(onDisk) != n {
		t.Fatalf("%d tasks on disk, %d accepted", len(onDisk), n)
	}
	interrupted := 0
	for key, id := range accepted {
		r, ok := onDisk[id]
		if !ok || r.State != tasks.Succeeded || r.IdempotencyKey != key {
			t.Fatalf("task %s of %s on disk: %+v", id, key, r)
		}
		if r.Attempts > 1 {
			interrupted++
		}
	}
	t.Logf("all %d tasks succeeded once; %d were interrupted by a kill and run again", n, interrupted)
}

// submitKeyed submits the counting task of key and returns its id.
func submitKeyed(hc *http.Client, url, key string) (string, error) {
	body, _ := json.Marshal(map[string]any{"module": "tt", "input": "c" + key, "idempotency_key": key})
	resp, err := hc.Post(url+"/v1/tasks", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("submit %s: %d %s", key, resp.StatusCode, data)
	}
	var r struct{ ID string }
	if err := json.Unmarshal(data, &r); err != nil || r.ID == "" {
		return "", fmt.Errorf("submit %s: %q", key, data)
	}
	return r.ID, nil
}
