package node_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/internal/tasks"
)

// benchNode starts a node for a benchmark with the tasks test guest as
// module "tt".
func benchNode(b *testing.B) (*node.Node, *client.Client) {
	b.Helper()
	cfg := node.DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", b.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	// The Ps and the garbage collection target nexus serve runs with.
	if p := n.GOMAXPROCS(); os.Getenv("GOMAXPROCS") == "" && p > runtime.GOMAXPROCS(0) {
		prev := runtime.GOMAXPROCS(p)
		b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
	if os.Getenv("GOGC") == "" {
		prev := debug.SetGCPercent(executor.GCPercent)
		b.Cleanup(func() { debug.SetGCPercent(prev) })
	}
	c, err := client.New(n.URL())
	if err != nil {
		b.Fatal(err)
	}
	wasm, err := os.ReadFile("../tasks/testdata/tasktest.wasm")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.PushModule(context.Background(), "tt", wasm, nil); err != nil {
		b.Fatal(err)
	}
	return n, c
}

// latencies records the time from an event's commit (its time, taken as
// its write is queued, before the commit) to its arrival.
type latencies struct {
	mu      sync.Mutex
	d       []time.Duration
	arrived map[string]time.Time // event id → arrival
}

func (l *latencies) add(t time.Time) { l.addID("", t) }

// addID records the arrival, now, of event id of time t.
func (l *latencies) addID(id string, t time.Time) {
	now := time.Now()
	l.mu.Lock()
	l.d = append(l.d, now.Sub(t))
	if id != "" {
		if l.arrived == nil {
			l.arrived = make(map[string]time.Time)
		}
		l.arrived[id] = now
	}
	l.mu.Unlock()
}

// since returns, for each event of l that committed holds, its arrival
// less its commit.
func (l *latencies) since(committed map[string]time.Time) *latencies {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := &latencies{}
	for id, at := range l.arrived {
		if c, ok := committed[id]; ok {
			out.d = append(out.d, at.Sub(c))
		}
	}
	return out
}

func (l *latencies) report(b *testing.B, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	q := func(f float64) float64 { return float64(l.d[int(f*float64(len(l.d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), name+"-p50-ms")
	b.ReportMetric(q(0.99), name+"-p99-ms")
}

// listen attaches the listeners of a benchmark: an SSE client following
// every event, and a webhook endpoint for types to a local receiver.
// It returns the latencies of task.succeeded events at each, and a
// function that stops the SSE client.
func listen(b *testing.B, c *client.Client, sse bool, types []string) (*latencies, *latencies, *atomic.Int64, func()) {
	sseLat, hookLat := &latencies{}, &latencies{}
	var delivered atomic.Int64
	stop := func() {}
	if types != nil {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte(`"type":"task.succeeded"`)) {
				if t, ok := eventTime(body); ok {
					hookLat.addID(r.Header.Get("webhook-id"), t)
				}
			}
			delivered.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		b.Cleanup(hs.Close)
		if _, err := c.CreateWebhook(context.Background(), client.WebhookSpec{Name: "bench", URL: hs.URL, Types: types}); err != nil {
			b.Fatal(err)
		}
	}
	if sse {
		// A plain reader of the stream, as a browser's EventSource is:
		// the events' JSON is not decoded, only task.succeeded's time.
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL()+"/v1/events", nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			succeeded, id := false, ""
			for sc.Scan() {
				line := sc.Bytes()
				switch {
				case bytes.HasPrefix(line, []byte("id: ")):
					id = string(line[4:])
				case bytes.HasPrefix(line, []byte("event: ")):
					succeeded = string(line[7:]) == "task.succeeded"
				case succeeded && bytes.HasPrefix(line, []byte("data: ")):
					if t, ok := eventTime(line); ok {
						sseLat.addID(id, t)
					}
				}
			}
		}()
		stop = func() { cancel(); <-done }
	}
	return sseLat, hookLat, &delivered, stop
}

// eventTime returns the time of the event whose JSON is in b.
func eventTime(b []byte) (time.Time, bool) {
	i := bytes.Index(b, []byte(`"time":"`))
	if i < 0 {
		return time.Time{}, false
	}
	rest := b[i+8:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	return t, err == nil
}

// runTasks submits b.N trivial durable tasks from 128 goroutines and
// waits for each to succeed, as tasks' BenchmarkEndToEnd does.
func runTasks(b *testing.B, svc *tasks.Service) {
	ctx := context.Background()
	ids := make(chan string, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				r, _, err := svc.Submit(ctx, tasks.Spec{Module: "tt", Input: []byte("n")})
				if err != nil {
					b.Error(err)
					return
				}
				ids <- r.ID
			}
		}()
	}
	var waiters sync.WaitGroup
	for range 8 {
		waiters.Add(1)
		go func() {
			defer waiters.Done()
			for id := range ids {
				if r, err := svc.Wait(ctx, id); err != nil || r.State != tasks.Succeeded {
					b.Errorf("%s: %s %v", id, r.State, err)
				}
			}
		}()
	}
	wg.Wait()
	close(ids)
	waiters.Wait()
}

// BenchmarkEventsEndToEnd is tasks' BenchmarkEndToEnd on a node (events
// on), with no listeners, and with one SSE client following every event
// and/or one webhook endpoint to a local receiver (for the final task
// events, or for every task event). Compare the tasks/s of the
// listeners with none (benchstat -col /listeners).
func BenchmarkEventsEndToEnd(b *testing.B) {
	final := []string{"task.succeeded", "task.failed", "task.dead", "task.canceled"}
	for _, c := range []struct {
		name  string
		sse   bool
		types []string
	}{
		{"none", false, nil},
		{"sse", true, nil},
		{"webhook-final", false, final},
		{"sse+webhook-final", true, final},
		{"sse+webhook-all", true, []string{"task.*"}},
	} {
		b.Run("listeners="+c.name, func(b *testing.B) {
			n, cl := benchNode(b)
			_, _, delivered, stop := listen(b, cl, c.sse, c.types)
			b.ResetTimer()
			runTasks(b, n.Tasks())
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
			st := n.Tasks().Stats()
			b.ReportMetric(float64(st.CommitWrites)/float64(max(st.Commits, 1)), "writes/commit")
			stop()
			if c.types != nil {
				b.ReportMetric(float64(delivered.Load())/float64(b.N), "delivered/task")
			}
		})
	}
}

// BenchmarkEventsLatency submits trivial tasks at 1,000 a second (b.N
// of them, each from a goroutine of its own) and reports, for each
// task.succeeded event, the time to its arrival at an SSE client and at
// a webhook receiver: from its commit (its arrival at an in-process
// subscriber of the bus, which the store hands it to once the
// transaction has committed) and from its time (taken as its write is
// queued, so this includes the group commit and its fsync). p50 and p99.
func BenchmarkEventsLatency(b *testing.B) {
	n, cl := benchNode(b)
	sseLat, hookLat, _, stop := listen(b, cl, true, []string{"task.succeeded"})
	sub, err := n.Bus().SubscribeLive(events.Filter{Types: []string{"task.succeeded"}}, 1<<16)
	if err != nil {
		b.Fatal(err)
	}
	committed := make(map[string]time.Time, b.N)
	var commitMu sync.Mutex
	subDone := make(chan struct{})
	go func() {
		defer close(subDone)
		for {
			e, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			commitMu.Lock()
			committed[e.ID] = time.Now()
			commitMu.Unlock()
		}
	}()
	svc := n.Tasks()
	ctx := context.Background()
	b.ResetTimer()
	tick := time.NewTicker(time.Millisecond)
	ids := make(chan string, b.N)
	var submits sync.WaitGroup
	for range b.N {
		<-tick.C
		submits.Add(1)
		go func() {
			defer submits.Done()
			r, _, err := svc.Submit(ctx, tasks.Spec{Module: "tt", Input: []byte("n")})
			if err != nil {
				b.Error(err)
				return
			}
			ids <- r.ID
		}()
	}
	tick.Stop()
	submits.Wait()
	close(ids)
	for id := range ids {
		svc.Wait(ctx, id)
	}
	b.StopTimer()
	// Let the last arrivals come before reading.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		sseLat.mu.Lock()
		hookLat.mu.Lock()
		got := len(sseLat.d) >= b.N && len(hookLat.d) >= b.N
		hookLat.mu.Unlock()
		sseLat.mu.Unlock()
		if got {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	sub.Close()
	<-subDone
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
	commitMu.Lock()
	sseLat.since(committed).report(b, "commit-sse")
	hookLat.since(committed).report(b, "commit-webhook")
	commitMu.Unlock()
	sseLat.report(b, "time-sse")
	hookLat.report(b, "time-webhook")
}

// BenchmarkEventsSubscribers runs BenchmarkEventsEndToEnd's tasks with
// no SSE client, with 1,000 following every event, and with 1,000 each
// following one task of its own, as `nexus task wait` does (tasks not in
// the run: their streams stay idle). It reports the memory per
// subscriber (heap and stacks of the whole process, both ends of each
// connection, measured once the clients are connected) and the tasks/s
// (benchstat -col /subscribers).
func BenchmarkEventsSubscribers(b *testing.B) {
	for _, c := range []struct {
		name  string
		n     int
		query func(i int) string
	}{
		{"0", 0, nil},
		{"1000-all", 1000, func(int) string { return "" }},
		{"1000-one-task", 1000, func(i int) string { return fmt.Sprintf("?task=%032x", i) }},
	} {
		b.Run("subscribers="+c.name, func(b *testing.B) {
			n, _ := benchNode(b)
			before := memInUse()
			conns := make([]net.Conn, 0, c.n)
			var readers sync.WaitGroup
			for i := range c.n {
				conn, err := net.Dial("tcp", n.Addr())
				if err != nil {
					b.Fatal(err)
				}
				fmt.Fprintf(conn, "GET /v1/events%s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n", c.query(i))
				conns = append(conns, conn)
				readers.Add(1)
				go func() {
					defer readers.Done()
					buf := make([]byte, 4096)
					for {
						if _, err := conn.Read(buf); err != nil {
							return
						}
					}
				}()
			}
			for n.Bus().Subscribers() < c.n {
				time.Sleep(time.Millisecond) // nothing to wait on but the count
			}
			perSub := 0.0
			if c.n > 0 {
				perSub = float64(memInUse()-before) / float64(c.n)
			}
			b.ResetTimer()
			runTasks(b, n.Tasks())
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
			if c.n > 0 {
				b.ReportMetric(perSub, "bytes/subscriber")
			}
			for _, c := range conns {
				c.Close()
			}
			readers.Wait()
		})
	}
}

// memInUse returns the heap and stack memory in use after a collection.
func memInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}
