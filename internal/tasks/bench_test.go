package tasks_test

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/tasks"
)

// BenchmarkSubmit measures durable submission in process: each Submit
// returns once its task is committed and synced (group commit). The tasks
// are delayed an hour so that none runs during the measurement.
func BenchmarkSubmit(b *testing.B) {
	e := open(b, b.TempDir(), tasks.Config{})
	b.SetParallelism(64) // 64 × GOMAXPROCS submitters
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := e.svc.Submit(context.Background(), tasks.Spec{Module: "tt", Input: []byte("n"), DelayMs: 3_600_000}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
}

// BenchmarkEndToEnd measures trivial tasks from submission to a durable
// succeeded state: b.N tasks are submitted by 128 goroutines and the
// benchmark ends when the last one's success is committed.
func BenchmarkEndToEnd(b *testing.B) {
	endToEnd(b, tasks.Config{})
}

// BenchmarkEndToEndEvents is BenchmarkEndToEnd without and with the
// event log: the cost of committing each change's events with it.
func BenchmarkEndToEndEvents(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "events=off"
		if on {
			name = "events=on"
		}
		b.Run(name, func(b *testing.B) { endToEnd(b, tasks.Config{Events: on}) })
	}
}

// BenchmarkEndToEndLease is BenchmarkEndToEnd with the default lease (a
// renewal sweep every 10 s, so none during a run) and with a 3 ms lease
// (a sweep every millisecond renewing every task in flight): the cost of
// renewals to the group commit under load.
func BenchmarkEndToEndLease(b *testing.B) {
	for _, c := range []struct {
		name  string
		lease time.Duration
	}{{"default", 0}, {"3ms", 3 * time.Millisecond}} {
		b.Run(c.name, func(b *testing.B) {
			endToEnd(b, tasks.Config{Lease: c.lease})
		})
	}
}

func endToEnd(b *testing.B, cfg tasks.Config) {
	e := open(b, b.TempDir(), cfg)
	asServed(b, e.exec)
	ctx := context.Background()
	ids := make(chan string, b.N)
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				r, _, err := e.svc.Submit(ctx, tasks.Spec{Module: "tt", Input: []byte("n")})
				if err != nil {
					b.Error(err)
					return
				}
				ids <- r.ID
			}
		}()
	}
	// Results are long-polled as clients do, while submission goes on:
	// each Wait blocks on the task's notifier and gets its terminal
	// record as committed.
	var waiters sync.WaitGroup
	for range 8 {
		waiters.Add(1)
		go func() {
			defer waiters.Done()
			for id := range ids {
				if r, err := e.svc.Wait(ctx, id); err != nil || r.State != tasks.Succeeded {
					b.Errorf("%s: %s %v", id, r.State, err)
				}
			}
		}()
	}
	wg.Wait()
	close(ids)
	waiters.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
	st := e.svc.Stats()
	b.ReportMetric(float64(st.LeaseRenewals)/float64(b.N), "renewals/task")
	b.ReportMetric(float64(st.CommitWrites)/float64(max(st.Commits, 1)), "writes/commit")
}

// asServed gives a benchmark the Ps (Executor.GOMAXPROCS) and the garbage
// collection target (executor.GCPercent) that `nexus serve` runs with,
// unless GOMAXPROCS or GOGC is set, and restores them after.
func asServed(b *testing.B, exec *executor.Executor) {
	if os.Getenv("GOMAXPROCS") == "" {
		prev := runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), exec.GOMAXPROCS()))
		b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
	if os.Getenv("GOGC") == "" {
		prev := debug.SetGCPercent(executor.GCPercent)
		b.Cleanup(func() { debug.SetGCPercent(prev) })
	}
}

// BenchmarkDelayLag measures the scheduling lag of delayed tasks: the time
// from a task's run_at to the start of its attempt. "idle" submits one
// delayed task at a time on an otherwise idle service; "load" does the
// same while 64 goroutines keep submitting trivial tasks.
func BenchmarkDelayLag(b *testing.B) {
	for _, load := range []bool{false, true} {
		name := "idle"
		if load {
			name = "load"
		}
		b.Run(name, func(b *testing.B) {
			e := open(b, b.TempDir(), tasks.Config{})
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			if load {
				for range 64 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for ctx.Err() == nil {
							e.svc.Submit(ctx, tasks.Spec{Module: "tt", Input: []byte("n")})
						}
					}()
				}
			}
			lags := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				r, _, err := e.svc.Submit(context.Background(), tasks.Spec{Module: "tt", Input: []byte("n"), DelayMs: 20})
				if err != nil {
					b.Fatal(err)
				}
				if r, err = e.svc.Wait(context.Background(), r.ID); err != nil || r.State != tasks.Succeeded {
					b.Fatalf("%s %v", r.State, err)
				}
				lags = append(lags, r.StartedAt.Sub(r.RunAt))
			}
			b.StopTimer()
			stop()
			wg.Wait()
			slices.Sort(lags)
			q := func(f float64) float64 { return float64(lags[int(f*float64(len(lags)-1))].Microseconds()) / 1000 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
		})
	}
}
