// Command taskload measures NexusTask's durable tasks over HTTP, in one
// process on 127.0.0.1: a server wired as `nexus serve` wires it (bbolt in
// a temporary directory, the task service, the executor) and a load
// generator with -conns keep-alive connections.
//
// Modes (-mode):
//
//   - submit: each request submits one task (POST /v1/tasks with an
//     object); the tasks are delayed an hour so that only submission is
//     measured. Reports durable submissions per second and latency.
//   - batch: each request submits -batch tasks (POST /v1/tasks with a
//     list), delayed likewise. Reports tasks per second.
//   - e2e: batches of trivial tasks (the guest returns at once) are
//     submitted until -tasks have been accepted, while -conns other
//     connections collect every task's result as its batch is accepted;
//     the run ends when the last success has been read. With -results
//     batch (the default) each batch's results come in one POST
//     /v1/tasks/results?wait=30s, with -results single one GET
//     /v1/tasks/{id}/result?wait=30s per task. Reports tasks per second
//     from the first submission to the last result.
//
// Run it from the bench directory:
//
//	go run ./cmd/taskload -mode submit|batch|e2e [-conns 32] [-duration 10s] [-batch 100] [-tasks 50000] [-results batch|single] [-server URL]
//
// With -server it drives a running server (the real binary, e.g. `nexus
// serve`, with its own GOMAXPROCS and garbage-collection settings) instead
// of one wired in this process.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

func main() {
	mode := flag.String("mode", "submit", "submit, batch or e2e")
	conns := flag.Int("conns", 32, "concurrent connections")
	duration := flag.Duration("duration", 10*time.Second, "measured time (submit, batch)")
	batch := flag.Int("batch", 100, "tasks per request (batch, e2e)")
	total := flag.Int("tasks", 50_000, "tasks to run (e2e)")
	wasm := flag.String("wasm", "../internal/tasks/testdata/tasktest.wasm", "the tasks test guest")
	results := flag.String("results", "batch", "how e2e reads results: batch (POST /v1/tasks/results) or single (GET /v1/tasks/{id}/result)")
	external := flag.String("server", "", "base URL of a running server to drive (default: one in this process)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of this process (load generator, and the server unless -server) to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "taskload:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	url, stop := *external, func() {}
	var err error
	if url == "" {
		url, stop, err = startServer(*wasm)
	} else {
		err = upload(url, *wasm)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskload:", err)
		os.Exit(1)
	}
	defer stop()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * *conns}, Timeout: time.Minute}
	c, err := client.New(url, client.WithHTTPClient(hc))
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskload:", err)
		os.Exit(1)
	}
	switch *mode {
	case "submit":
		err = runSubmit(c, *conns, *duration, 1)
	case "batch":
		err = runSubmit(c, *conns, *duration, *batch)
	case "e2e":
		if *results != "batch" && *results != "single" {
			err = fmt.Errorf("unknown -results %q", *results)
			break
		}
		err = runE2E(c, *conns, *batch, *total, *results == "batch")
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskload:", err)
		os.Exit(1)
	}
}

// specs returns n tasks of the test guest's trivial mode, delayed an hour
// if asked.
func specs(n int, delayed bool) []client.TaskSpec {
	one := client.TaskSpec{Module: "tt", Input: "n"}
	if delayed {
		one.DelayMs = time.Hour.Milliseconds()
	}
	out := make([]client.TaskSpec, n)
	for i := range out {
		out[i] = one
	}
	return out
}

// post submits specs (one as an object, more as a list) and returns the
// ids accepted.
func post(ctx context.Context, c *client.Client, specs []client.TaskSpec) ([]string, error) {
	if len(specs) == 1 {
		t, err := c.SubmitTask(ctx, specs[0])
		if err != nil {
			return nil, err
		}
		return []string{t.ID}, nil
	}
	rs, err := c.SubmitTasks(ctx, specs)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.Error != nil {
			return nil, fmt.Errorf("submit: %s", r.Error.Message)
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

func runSubmit(c *client.Client, conns int, d time.Duration, n int) error {
	ctx := context.Background()
	b := specs(n, true)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if _, err := post(ctx, c, b); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(lat)
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))] }
	fmt.Printf("mode=%s conns=%d batch=%d requests=%d tasks=%d elapsed=%.2fs tasks/s=%.0f req/s=%.0f p50=%v p99=%v\n",
		map[bool]string{true: "submit", false: "batch"}[n == 1], conns, n, len(lat), len(lat)*n, el.Seconds(),
		float64(len(lat)*n)/el.Seconds(), float64(len(lat))/el.Seconds(), q(0.5).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond))
	return nil
}

func runE2E(c *client.Client, conns, n, total int, batched bool) error {
	ctx := context.Background()
	b := specs(n, false)
	var next atomic.Int64
	ids := make(chan []string, total/n+conns)
	errs := make(chan error, 2*conns)
	start := time.Now()
	// Results are collected while submission goes on, -conns requests at
	// a time, as clients waiting for their work do.
	await := awaitResults
	if !batched {
		await = awaitEach
	}
	var count atomic.Int64
	var ww sync.WaitGroup
	for range conns {
		ww.Add(1)
		go func() {
			defer ww.Done()
			for batch := range ids {
				if err := await(ctx, c, batch); err != nil {
					errs <- err
					return
				}
				count.Add(int64(len(batch)))
			}
		}()
	}
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(int64(n)) <= int64(total) {
				got, err := post(ctx, c, b)
				if err != nil {
					errs <- err
					return
				}
				ids <- got
			}
		}()
	}
	wg.Wait()
	submitted := time.Since(start)
	close(ids)
	ww.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("mode=e2e results=%s conns=%d batch=%d tasks=%d submitted_in=%.2fs all_succeeded_in=%.2fs tasks/s=%.0f\n",
		map[bool]string{true: "batch", false: "single"}[batched], conns, n, count.Load(), submitted.Seconds(), el.Seconds(),
		float64(count.Load())/el.Seconds())
	return nil
}

// awaitEach long-polls the result of each task of ids in turn until it
// has succeeded.
func awaitEach(ctx context.Context, c *client.Client, ids []string) error {
	for _, id := range ids {
		if _, err := c.WaitTask(ctx, id); err != nil {
			return fmt.Errorf("task %s: %w", id, err)
		}
	}
	return nil
}

// awaitResults long-polls the results of ids in lists (POST
// /v1/tasks/results) until every task has succeeded.
func awaitResults(ctx context.Context, c *client.Client, ids []string) error {
	for len(ids) > 0 {
		rs, err := c.Results(ctx, ids, 30*time.Second)
		if err != nil {
			return fmt.Errorf("results: %w", err)
		}
		var left []string
		for _, r := range rs {
			switch {
			case r.State == client.StateSucceeded:
			case !r.Done() && r.Error == nil:
				left = append(left, r.ID)
			default:
				return fmt.Errorf("task %s: %s %+v", r.ID, r.State, r.Error)
			}
		}
		ids = left
	}
	return nil
}

// startServer wires NexusTask as `nexus serve` does, with the task
// service, uploads the guest as "tt" and returns the base URL.
func startServer(wasmPath string) (string, func(), error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "nexus-taskload-")
	if err != nil {
		return "", nil, err
	}
	db, err := store.Open(dir, 2*time.Second)
	if err != nil {
		return "", nil, err
	}
	hcfg := host.DefaultConfig()
	hcfg.CacheDir, hcfg.KV = filepath.Join(dir, "compiled"), db
	rt, err := host.New(ctx, hcfg)
	if err != nil {
		return "", nil, err
	}
	reg := modules.New(db, rt, modules.DefaultConfig())
	exec, err := executor.New(executor.DefaultConfig())
	if err != nil {
		return "", nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New(reg.Len)
	svc, err := tasks.New(db, db, &tasks.Runner{Registry: reg, Runtime: rt, Exec: exec, InFlight: m.InFlight}, tasks.Config{Logger: log})
	if err != nil {
		return "", nil, err
	}
	if err := svc.Start(ctx); err != nil {
		return "", nil, err
	}
	srv := server.New(reg, rt, exec, m, server.Config{Logger: log, Tasks: svc})
	srv.SetReady(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	url := "http://" + ln.Addr().String()
	if err := upload(url, wasmPath); err != nil {
		return "", nil, err
	}
	stop := func() {
		hs.Close()
		svc.Close(ctx)
		exec.Close(ctx)
		rt.Close(ctx)
		db.Close()
		os.RemoveAll(dir)
	}
	return url, stop, nil
}

// upload stores the guest at wasmPath as module "tt".
func upload(url, wasmPath string) error {
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return err
	}
	c, err := client.New(url)
	if err != nil {
		return err
	}
	if _, err := c.PushModule(context.Background(), "tt", wasm, nil); err != nil {
		return fmt.Errorf("uploading %s: %w", wasmPath, err)
	}
	return nil
}
