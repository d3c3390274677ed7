package schedule_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/schedule"
)

// BenchmarkLag measures scheduling lag, the time from a due time to the
// start of its Submit call. The scheduler's writes go to a real bbolt file
// (two fsynced, group-committed transactions per firing); the submitter
// keeps its tasks in memory, so the figures are the scheduler's own (the
// task system's submission cost is measured by its own benchmarks). One
// op is one fired due time.
//
//	idle:        one schedule every 10 ms
//	schedules=N: N schedules, all due at the same instants (100 every
//	             100 ms, 1000 every second: 1000 due times a second)
//	cpu-busy:    one schedule every 50 ms while GOMAXPROCS goroutines spin
func BenchmarkLag(b *testing.B) {
	b.Run("idle", func(b *testing.B) { benchLag(b, 1, 10*time.Millisecond, false) })
	b.Run("schedules=100", func(b *testing.B) { benchLag(b, 100, 100*time.Millisecond, false) })
	b.Run("schedules=1000", func(b *testing.B) { benchLag(b, 1000, time.Second, false) })
	b.Run("cpu-busy", func(b *testing.B) { benchLag(b, 1, 50*time.Millisecond, true) })
}

func benchLag(b *testing.B, schedules int, every time.Duration, busy bool) {
	cfg := testConfig()
	cfg.MinEvery = time.Millisecond
	e := newEnv(b, cfg)
	e.sub.allDone, e.sub.inMemory = true, true
	var stop atomic.Bool
	if busy {
		for range runtime.GOMAXPROCS(0) {
			go func() {
				for x := 0; !stop.Load(); x++ {
				}
			}()
		}
		defer stop.Store(true)
	}
	b.ResetTimer()
	for i := range schedules {
		if _, err := e.m.Create(schedule.Spec{Name: fmt.Sprintf("s%d", i), Every: every.String(),
			Overlap: schedule.OverlapAllow, Task: []byte(`{"module":"m"}`)}); err != nil {
			b.Fatal(err)
		}
	}
	for len(e.sub.created()) < b.N {
		time.Sleep(every / 4)
	}
	b.StopTimer()
	calls := e.sub.created()[:b.N]
	lags := make([]time.Duration, len(calls))
	for i, c := range calls {
		lags[i] = c.at.Sub(c.due)
	}
	slices.Sort(lags)
	q := func(p float64) float64 { return float64(lags[int(p*float64(len(lags)-1))]) / 1e6 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}
