package host

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// abandonedCalls counts host calls abandoned past their task's deadline,
// process-wide (Runtime.AbandonedCalls).
var abandonedCalls atomic.Uint64

// AbandonedCalls returns how many host calls (kv operations, checkpoint
// commits) were abandoned because they were still blocked at their
// task's deadline.
func (r *Runtime) AbandonedCalls() uint64 { return abandonedCalls.Load() }

// bounded runs f, a host call that can block outside the sandbox's
// control (the kv store, a checkpoint's commit), on a goroutine of its
// own, and waits for it until the task's deadline or ctx's end. Past
// either the call is abandoned, left to return on its own goroutine, and
// the task stops (ErrTimeout, or ctx's cause): the worker running the
// task is free again, so a stuck store cannot hold a worker token. f must
// not touch guest memory (its arguments are copies, its results are
// copied in by the caller). A panic in f is raised again here, as if f
// had run on the caller's goroutine, with f's stack.
func (t *task) bounded(ctx context.Context, f func()) {
	done := make(chan any, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- &PanicError{Value: fmt.Sprint(v), Stack: debug.Stack()}
				return
			}
			done <- nil
		}()
		f()
	}()
	wait := time.Until(t.deadline)
	if t.deadline.IsZero() {
		wait = time.Duration(1<<63 - 1)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case v := <-done:
		if pe, ok := v.(*PanicError); ok {
			panic(pe) // contain() names the import
		}
		return
	case <-timer.C:
		abandonedCalls.Add(1)
		panic(fmt.Errorf("%w: a host call was still blocked at the deadline and was abandoned", ErrTimeout))
	case <-ctx.Done():
		abandonedCalls.Add(1)
		panic(context.Cause(ctx))
	}
}
