package executor

import "context"

// Parker is implemented by the Yielder an Executor hands a job's Run: a
// job that must wait for something other than the CPU (a task awaiting
// its child tasks) parks instead of holding its worker token.
type Parker interface {
	// Park gives the job's token to the next waiting job (or back to the
	// free tokens), runs wait on the calling goroutine, then waits for a
	// token again, ahead of its category as a preempted job resumes, and
	// returns wait's error. The job keeps its memory quota counted while
	// parked: it holds its memory, not a CPU. If ctx ends while the job
	// waits for its token back, Park returns ctx's cause without one, as
	// Yield does, and Run must unwind. Park must be called on the job's
	// goroutine.
	Park(ctx context.Context, wait func(ctx context.Context) error) error
}

var _ Parker = (*task)(nil)

// Park implements Parker.
func (t *task) Park(ctx context.Context, wait func(ctx context.Context) error) error {
	e := t.e
	e.mu.Lock()
	tok := t.tok
	if tok == nil { // no token to give (never true on Run's goroutine)
		e.mu.Unlock()
		return wait(ctx)
	}
	t.tok = nil
	e.running--
	e.parked++
	if x := e.popFitLocked(e.clock.Now()); x != nil {
		e.launchLocked(x, tok, e.assignLocked(x, tok))
	} else {
		e.free = append(e.free, tok)
	}
	e.settleLocked()
	e.mu.Unlock()
	t.th.unlock()

	werr := wait(ctx)

	e.mu.Lock()
	e.parked--
	t.state = stateSuspended
	e.suspended++
	e.q.push(t, e.clock.Now(), true)
	e.dispatchLocked()
	e.mu.Unlock()
	select {
	case tok := <-t.resume:
		e.resumeOn(t, tok)
		return werr
	case <-ctx.Done():
	}
	e.mu.Lock()
	if t.state == stateSuspended {
		e.q.remove(t)
		e.suspended--
		t.state = stateRunning
		e.settleLocked()
		e.mu.Unlock()
		return context.Cause(ctx)
	}
	e.mu.Unlock()
	e.resumeOn(t, <-t.resume)
	return context.Cause(ctx)
}

// Parked returns the number of jobs parked (Parker.Park) at this moment.
func (e *Executor) Parked() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.parked
}
