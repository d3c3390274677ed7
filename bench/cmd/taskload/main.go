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
	"bytes"
	"context"
	"encoding/json"
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	switch *mode {
	case "submit":
		err = runSubmit(hc, url, *conns, *duration, 1)
	case "batch":
		err = runSubmit(hc, url, *conns, *duration, *batch)
	case "e2e":
		if *results != "batch" && *results != "single" {
			err = fmt.Errorf("unknown -results %q", *results)
			break
		}
		err = runE2E(hc, url, *conns, *batch, *total, *results == "batch")
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskload:", err)
		os.Exit(1)
	}
}

// body returns a POST /v1/tasks body of n tasks (an object for n = 1).
func body(n int, delayed bool) []byte {
	one := `{"module":"tt","input":"n"}`
	if delayed {
		one = `{"module":"tt","input":"n","delay_ms":3600000}`
	}
	if n == 1 {
		return []byte(one)
	}
	return []byte("[" + strings.Repeat(one+",", n-1) + one + "]")
}

// post submits b and returns the ids accepted.
func post(hc *http.Client, url string, b []byte, n int) ([]string, error) {
	resp, err := hc.Post(url+"/v1/tasks", "application/json", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("submit: %d %s", resp.StatusCode, data)
	}
	if n == 1 {
		var v server.TaskView
		err := json.Unmarshal(data, &v)
		return []string{v.ID}, err
	}
	var rs []server.SubmitResult
	if err := json.Unmarshal(data, &rs); err != nil {
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

func runSubmit(hc *http.Client, url string, conns int, d time.Duration, n int) error {
	b := body(n, true)
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
				if _, err := post(hc, url, b, n); err != nil {
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

func runE2E(hc *http.Client, url string, conns, n, total int, batched bool) error {
	b := body(n, false)
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
				if err := await(hc, url, batch); err != nil {
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
				got, err := post(hc, url, b, n)
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
func awaitEach(hc *http.Client, url string, ids []string) error {
	for _, id := range ids {
		if err := awaitResult(hc, url, id); err != nil {
			return err
		}
	}
	return nil
}

// awaitResult long-polls the result of task id until it has succeeded.
func awaitResult(hc *http.Client, url, id string) error {
	for {
		resp, err := hc.Get(url + "/v1/tasks/" + id + "/result?wait=30s")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			return nil
		case http.StatusAccepted:
			continue
		}
		return fmt.Errorf("task %s: %d", id, resp.StatusCode)
	}
}

// awaitResults long-polls the results of ids in lists (POST
// /v1/tasks/results) until every task has succeeded.
func awaitResults(hc *http.Client, url string, ids []string) error {
	for len(ids) > 0 {
		req, err := json.Marshal(server.ResultsRequest{IDs: ids})
		if err != nil {
			return err
		}
		resp, err := hc.Post(url+"/v1/tasks/results?wait=30s", "application/json", bytes.NewReader(req))
		if err != nil {
			return err
		}
		var out server.TaskResults
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("results: %d %v", resp.StatusCode, err)
		}
		var left []string
		for _, r := range out.Results {
			switch {
			case r.State == tasks.Succeeded:
			case !r.State.Terminal() && r.Error == nil:
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
	resp, err := http.Post(url+"/v1/modules/tt", "application/wasm", bytes.NewReader(wasm))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("uploading %s: %s: %s", wasmPath, resp.Status, b)
	}
	return nil
}
