package tasks_test

import (
	"bytes"
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

// TestLargeInputsWaitOnDisk: a waiting task whose input is larger than
// MaxInputInMemory leaves it on disk; its attempt reads it back, in the
// process that accepted it, after a restart (recovered without it), and
// after a retry by hand.
func TestLargeInputsWaitOnDisk(t *testing.T) {
	const n, size = 24, 1 << 20
	dir := t.TempDir()
	// The tasks become due when the test moves this clock, not while the
	// heap is being measured, however slow the submissions.
	clock := newFakeClock()
	e := open(t, dir, tasks.Config{Clock: clock})
	e.put("echo", "../../examples/wat/echo.wasm")
	inputs := make([][]byte, n)
	for i := range inputs {
		inputs[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ids := make([]string, n)
	for i, in := range inputs {
		delay := int64(300) // the first third runs in this process
		if i >= n/3 {
			delay = 3_000 // the rest after a restart
		}
		ids[i] = e.submit(tasks.Spec{Module: "echo", Input: in, DelayMs: delay}).ID
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > n*size/4 {
		t.Errorf("%d waiting tasks with %d-byte inputs grew the heap by %d bytes", n, size, grew)
	}
	check := func(i int, r tasks.Record) {
		t.Helper()
		if r.State != tasks.Succeeded || !bytes.Equal(r.Output, inputs[i]) || r.InputBytes != size {
			t.Fatalf("task %d: %s, %d output bytes, input_bytes %d", i, r.State, len(r.Output), r.InputBytes)
		}
	}
	clock.Advance(300 * time.Millisecond)
	for i := range n / 3 {
		check(i, e.wait(ids[i]))
	}
	e.stop(context.Background())

	// Recovered without their inputs in memory, the rest run when due; the
	// last is canceled and retried by hand first.
	e = open(t, dir, tasks.Config{Clock: clock})
	last := n - 1
	if _, err := e.svc.Cancel(context.Background(), ids[last]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Retry(context.Background(), ids[last]); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	for i := n / 3; i < n; i++ {
		check(i, e.wait(ids[i]))
	}
}
