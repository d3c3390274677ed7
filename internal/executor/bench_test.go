package executor

import (
	"context"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

// pool is the baseline: N goroutines reading jobs from a channel.
type pool struct {
	jobs chan poolJob
	wg   sync.WaitGroup
}

type poolJob struct {
	run  func() error
	done chan error
}

func newPool(n int) *pool {
	p := &pool{jobs: make(chan poolJob)}
	for range n {
		p.wg.Go(func() {
			for j := range p.jobs {
				j.done <- j.run()
			}
		})
	}
	return p
}

func (p *pool) do(run func() error) error {
	j := poolJob{run: run, done: make(chan error, 1)}
	p.jobs <- j
	return <-j.done
}

func (p *pool) close() { close(p.jobs); p.wg.Wait() }

// BenchmarkDispatch compares the cost of running a no-op job through the
// executor with a plain goroutine pool of as many workers as tokens.
func BenchmarkDispatch(b *testing.B) {
	e := newExec(b, Config{})
	workers := e.Stats().Tokens
	p := newPool(workers)
	defer p.close()
	noop := func() error { return nil }
	job := Job{Priority: 5, Run: func(context.Context, Yielder) error { return nil }}
	ctx := context.Background()
	b.Run("executor/serial", func(b *testing.B) {
		for b.Loop() {
			if err := e.Do(ctx, job); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pool/serial", func(b *testing.B) {
		for b.Loop() {
			p.do(noop)
		}
	})
	b.Run("executor/parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := e.Do(ctx, job); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("pool/parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p.do(noop)
			}
		})
	})
}

// sliceCounter counts a job's slice boundaries.
type sliceCounter struct {
	inner Yielder
	n     *atomic.Int64
}

func (c sliceCounter) Yield(ctx context.Context) error {
	c.n.Add(1)
	return c.inner.Yield(ctx)
}

// BenchmarkPreemptionLatency keeps every token busy with long (over 1 s)
// low-priority count.wasm guests and measures the queue wait of short
// high-priority guests submitted among them, with preemption on and off,
// and with the default slice and one ten times longer. Each iteration is
// one high-priority task; run with -benchtime=Nx.
//
// GOMAXPROCS is one more than the tokens, as nexus serve sets it: with no
// P left over, the submitting goroutine (like an HTTP handler) can only run
// once the Go scheduler preempts a guest's goroutine, which costs
// milliseconds on every submission.
func BenchmarkPreemptionLatency(b *testing.B) {
	const lowN = 1_000_000_000 // ≈ 15e9 fuel
	countWant(lowN)            // check outputs without stalling the low tasks
	for _, tc := range []struct {
		name    string
		preempt bool
		slice   int64
	}{
		{"preemption=true", true, 0},
		{"preemption=true/slice-fuel=1e7", true, 10_000_000},
		{"preemption=false", false, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := host.DefaultConfig()
			if tc.slice > 0 {
				cfg.SliceFuel = tc.slice
			}
			g := newCountGuestWith(b, cfg)
			g.limits = host.Limits{Fuel: 1_000_000_000_000, Timeout: 10 * time.Minute}
			e := newExec(b, Config{Preemption: tc.preempt})
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(e.Stats().Tokens + 1))
			ctx, stop := context.WithCancel(context.Background())
			var nSlices, lowNanos atomic.Int64
			var lows sync.WaitGroup
			started := make(chan struct{}, 64)
			for range e.Stats().Tokens {
				lows.Go(func() {
					for ctx.Err() == nil {
						e.Do(ctx, Job{Priority: 1, Category: "low", Run: func(ctx context.Context, y Yielder) error {
							started <- struct{}{}
							t0 := time.Now()
							err := g.run(ctx, lowN, sliceCounter{y, &nSlices})
							if err == nil {
								lowNanos.Add(int64(time.Since(t0)))
							}
							return err
						}})
					}
				})
			}
			for range e.Stats().Tokens {
				<-started
			}
			rng := rand.New(rand.NewPCG(1, 1))
			waits := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				submitted := time.Now()
				var began time.Time
				err := e.Do(context.Background(), Job{Priority: 9, Category: "high", Run: func(ctx context.Context, y Yielder) error {
					began = time.Now()
					return g.run(ctx, 10_000, y)
				}})
				if err != nil {
					b.Fatal(err)
				}
				waits = append(waits, began.Sub(submitted))
			}
			b.StopTimer()
			stop()
			lows.Wait()
			slices.Sort(waits)
			pct := func(q float64) float64 {
				return float64(waits[min(len(waits)-1, int(q*float64(len(waits))))]) / 1e6
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(waits[len(waits)-1])/1e6, "max-ms")
			b.ReportMetric(float64(e.Stats().Preemptions), "preemptions")
			if n := nSlices.Load(); n > 0 && lowNanos.Load() > 0 {
				b.ReportMetric(float64(lowNanos.Load())/float64(n)/1e6, "slice-ms")
			}
		})
	}
}

// BenchmarkFairness queues b.N jobs in each of three categories weighted
// 1:2:4 behind busy tokens and reports each category's share of the
// dispatches made while all three were backlogged (the first 1.5·b.N).
func BenchmarkFairness(b *testing.B) {
	weights := map[string]int{"w1": 1, "w2": 2, "w4": 4}
	e := newExec(b, Config{Weights: weights, QueueCapacity: 3*b.N + 10})
	var releases []func()
	for range e.Stats().Tokens {
		releases = append(releases, occupy(b, e, MaxPriority))
	}
	var order recorder[string]
	var hs []*Handle
	for range b.N {
		for cat := range weights {
			h, err := e.Submit(context.Background(), Job{Priority: 5, Category: cat, Run: func(context.Context, Yielder) error {
				order.add(cat)
				spin(20 * time.Microsecond)
				return nil
			}})
			if err != nil {
				b.Fatal(err)
			}
			hs = append(hs, h)
		}
	}
	b.ResetTimer()
	for _, r := range releases {
		r()
	}
	waitAll(b, hs)
	b.StopTimer()
	window := order.get()[:b.N*3/2]
	for _, cat := range []string{"w1", "w2", "w4"} {
		n := 0
		for _, c := range window {
			if c == cat {
				n++
			}
		}
		b.ReportMetric(float64(n)/float64(len(window)), "share-"+cat)
	}
}

// spin burns CPU for about d.
func spin(d time.Duration) {
	for t0 := time.Now(); time.Since(t0) < d; {
	}
}
