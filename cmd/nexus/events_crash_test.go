package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/store"
)

var crashEvents = flag.Int("crash.events", 0, "tasks of TestEventsCrash (default 300, 100 with -short)")

// hookReceiver records, in arrival order, the event ids a webhook
// delivers.
type hookReceiver struct {
	mu      sync.Mutex
	ids     []string
	arrived chan struct{} // buffered 1: a delivery came
}

func newHookReceiver() *hookReceiver { return &hookReceiver{arrived: make(chan struct{}, 1)} }

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.ids = append(h.ids, r.Header.Get(events.HeaderID))
	h.mu.Unlock()
	select {
	case h.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

// waitDistinct waits until n distinct events have arrived, or d passes.
func (h *hookReceiver) waitDistinct(n int, d time.Duration) {
	deadline := time.After(d)
	for len(h.firstArrivals()) < n {
		select {
		case <-h.arrived:
		case <-deadline:
			return
		}
	}
}

// firstArrivals returns the distinct ids in the order they first came.
func (h *hookReceiver) firstArrivals() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, id := range h.ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// TestEventsCrash kills a real `nexus serve` with SIGKILL three times
// while tasks run, a webhook delivers and an SSE client follows. After
// the last restart: every task's events are in the log exactly once and
// tell its life in order; the webhook's receiver got every task event of
// the log at least once, new ones always in log order; the SSE client,
// resuming with Last-Event-ID after each kill, saw every event id once,
// with no gap.
func TestEventsCrash(t *testing.T) {
	n := *crashEvents
	if n == 0 {
		n = 300
		if testing.Short() {
			n = 100
		}
	}
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)
	var cur atomic.Pointer[daemon]
	cur.Store(d)
	mustf(t)(nexus(t, d, "module", "push", "tt", "../../internal/tasks/testdata/tasktest.wasm"))
	rcv := newHookReceiver()
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	mustf(t)(nexus(t, d, "webhook", "add", "crash", hs.URL, "--type", "task.*", "--secret", "s"))

	// The SSE client: follows every event, resuming after each kill.
	var sseMu sync.Mutex
	var sseIDs []string
	stopSSE := make(chan struct{})
	sseMore := make(chan struct{}, 1)
	sseDone := make(chan struct{})
	go func() {
		defer close(sseDone)
		last := events.FormatID(0) // from the first event on
		for {
			select {
			case <-stopSSE:
				return
			default:
			}
			c, _ := client.New(cur.Load().url)
			s, err := c.FollowEvents(t.Context(), client.EventFilter{After: last})
			if err != nil {
				time.Sleep(20 * time.Millisecond) // the server is restarting
				continue
			}
			for {
				e, err := s.Next()
				if err != nil {
					break
				}
				sseMu.Lock()
				sseIDs = append(sseIDs, e.ID)
				sseMu.Unlock()
				select {
				case sseMore <- struct{}{}:
				default:
				}
				last = e.ID
			}
			s.Close()
		}
	}()

	keys := make(chan string, n)
	for i := range n {
		keys <- fmt.Sprintf("ev-%05d", i)
	}
	var acceptedN atomic.Int64
	accepted := sync.Map{}
	hc := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for range 8 {
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
				input := "n"
				if strings.HasSuffix(key, "37") {
					input = "s" + key // about half a second: running when a kill comes
				}
				id, err := submitInput(hc, cur.Load().url, key, input)
				if err != nil {
					keys <- key
					time.Sleep(20 * time.Millisecond)
					continue
				}
				accepted.Store(key, id)
				acceptedN.Add(1)
			}
		}()
	}
	for k := range 3 {
		for acceptedN.Load() < int64(n*(k+1)/4) {
			time.Sleep(time.Millisecond)
		}
		old := cur.Load()
		old.cmd.Process.Kill()
		<-old.done
		t.Logf("SIGKILL %d after %d acceptances", k+1, acceptedN.Load())
		cur.Store(startDaemon(t, dataDir))
	}
	wg.Wait()
	d = cur.Load()
	c, _ := client.New(d.url)
	var ids []string
	accepted.Range(func(_, v any) bool { ids = append(ids, v.(string)); return true })
	if len(ids) != n {
		t.Fatalf("%d accepted, want %d", len(ids), n)
	}
	for _, id := range ids {
		if _, err := c.WaitTask(t.Context(), id); err != nil {
			t.Fatalf("task %s: %v", id, err)
		}
	}
	// The log, read through the API: every task's life, once, in order.
	var log []client.Event
	after := ""
	for {
		page, err := c.Events(t.Context(), client.EventFilter{After: after}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, page.Events...)
		if len(page.Events) < 1000 {
			break
		}
		after = page.Next
	}
	lives := map[string][]string{}
	var taskIDs []string
	for i, e := range log {
		if i > 0 && e.ID <= log[i-1].ID {
			t.Fatalf("log out of order at %s", e.ID)
		}
		if strings.HasPrefix(e.Type, "task.") {
			lives[e.TaskID] = append(lives[e.TaskID], strings.TrimPrefix(e.Type, "task."))
			taskIDs = append(taskIDs, e.ID)
		}
	}
	interrupted := 0
	for _, id := range ids {
		if err := checkLife(lives[id]); err != nil {
			t.Fatalf("task %s: %v: %v", id, err, lives[id])
		}
		if slices.Contains(lives[id], "retrying") {
			interrupted++
		}
	}
	// The webhook: every task event at least once; new ones in order.
	rcv.waitDistinct(len(taskIDs), time.Minute)
	deadline := time.Now().Add(time.Minute)
	if got := rcv.firstArrivals(); strings.Join(got, ",") != strings.Join(taskIDs, ",") {
		t.Fatalf("webhook: %d distinct deliveries, log has %d task events; first difference at %d", len(got), len(taskIDs), firstDiff(got, taskIDs))
	}
	// The SSE client: every id, once, no gap, once it caught up.
	want := log[len(log)-1].ID
	for timeout := time.After(time.Until(deadline)); ; {
		sseMu.Lock()
		caught := len(sseIDs) > 0 && sseIDs[len(sseIDs)-1] >= want
		sseMu.Unlock()
		if caught {
			break
		}
		select {
		case <-sseMore:
			continue
		case <-timeout: // checked below
		}
		break
	}
	close(stopSSE)
	d.stop(t, syscall.SIGTERM)
	<-sseDone
	sseMu.Lock()
	for i, id := range sseIDs {
		seq, err := events.ParseID(id)
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("SSE event %d has id %s: a gap or a repeat", i, id)
		}
	}
	if len(sseIDs) < len(log) {
		t.Fatalf("SSE client saw %d events, the log holds %d", len(sseIDs), len(log))
	}
	sseMu.Unlock()
	rcv.mu.Lock()
	t.Logf("%d events, %d tasks interrupted by a kill; webhook got %d deliveries (%d repeats after kills); SSE saw %d",
		len(log), interrupted, len(rcv.ids), len(rcv.ids)-len(taskIDs), len(log))
	rcv.mu.Unlock()

	db, err := store.Open(dataDir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
}

// submitInput submits a task of module tt with input and idempotency
// key, and returns its id.
func submitInput(hc *http.Client, url, key, input string) (string, error) {
	body, _ := json.Marshal(map[string]any{"module": "tt", "input": input, "idempotency_key": key})
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

// lifeRE is a task's life in events: submitted, queued, one or more
// attempts (a kill requeues a running task: retrying, queued), each
// perhaps preempted and resumed (time-slicing), one success.
var lifeRE = regexp.MustCompile(`^submitted queued started( preempted( resumed)?)*( retrying queued started( preempted( resumed)?)*)* succeeded$`)

// checkLife checks a task's event types tell a life.
func checkLife(types []string) error {
	if !lifeRE.MatchString(strings.Join(types, " ")) {
		return errors.New("not a life of submitted, queued, attempts, one success")
	}
	return nil
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
