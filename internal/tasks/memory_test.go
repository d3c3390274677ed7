package tasks_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

// TestMemoryPerWaitingTask measures the heap a task waiting for its run
// time holds (every unfinished task is kept in memory; the store has the
// durable copy) and guards it against growth.
func TestMemoryPerWaitingTask(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	e := open(t, t.TempDir(), tasks.Config{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 64 {
				spec := tasks.Spec{Module: "tt", Input: []byte("n"), DelayMs: int64(time.Hour / time.Millisecond)}
				if _, _, err := e.svc.Submit(context.Background(), spec); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(n)
	t.Logf("%d tasks waiting an hour: %d bytes of heap each", n, per)
	if per > 4<<10 {
		t.Errorf("a waiting task holds %d bytes of heap, want at most 4 KiB", per)
	}
}
