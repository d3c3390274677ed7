package executor

import "context"

// Yield is the job's slice boundary (task implements Yielder). The fast
// path is one atomic load: the hint is below the job's priority unless a
// job of at least its priority waits with no free token. Otherwise the
// job may hand its token over and block until it gets one back.
//
// Yield must be called on the job's goroutine. The first call pins the
// job's thread (see Config.PinAtStart).
func (t *task) Yield(ctx context.Context) error {
	e := t.e
	if !t.th.locked && t.tok != nil {
		e.wire(t)
	}
	h := int(e.hint.Load())
	if h < t.prio {
		return nil
	}
	if !(e.cfg.Preemption && h > t.prio) && !t.quantumUsed() {
		return nil
	}
	return e.preempt(ctx, t)
}

// quantumUsed reports whether time slicing is on and t has held its token
// for a quantum.
func (t *task) quantumUsed() bool {
	q := t.e.cfg.Quantum
	return q > 0 && t.e.clock.Now().Sub(t.slotStart) >= q
}

// preempt gives t's token to the highest-priority waiting job if that job
// outranks t (or equals it and t's quantum is used), then waits for a
// token to resume on, re-pinning the thread to its CPU.
func (e *Executor) preempt(ctx context.Context, t *task) error {
	e.mu.Lock()
	top := e.q.top()
	byPriority := e.cfg.Preemption && top > t.prio
	if len(e.free) > 0 || top < t.prio || (!byPriority && !t.quantumUsed()) {
		e.mu.Unlock()
		return nil
	}
	// Serve the highest base priority, not the aged order: preemption is
	// for priority, and aging never preempts. A job that does not fit the
	// memory budget could not start on the token: t keeps it.
	if !e.fitsLocked(e.q.levels[top].fs.peek()) {
		e.mu.Unlock()
		return nil
	}
	x := e.q.popLevel(top)
	by := x.job.ID
	tok := t.tok
	e.launchLocked(x, tok, e.assignLocked(x, tok))
	e.running--
	t.tok, t.state = nil, stateSuspended
	e.suspended++
	e.preemptions++
	e.obs.Preempted(t.prio)
	// Preempted by priority, t resumes ahead of its category; at the end
	// of a quantum it goes to the back.
	e.q.push(t, e.clock.Now(), byPriority)
	e.settleLocked()
	e.mu.Unlock()

	t.preemptions.Add(1)
	if t.job.OnPreempt != nil {
		t.job.OnPreempt()
	}
	if t.job.OnPreemptBy != nil {
		t.job.OnPreemptBy(by)
	}
	// Unwire from the thread while suspended. The job just given the token
	// is next on this P, so when this goroutine parks the Go scheduler runs
	// it on this very thread, already on the token's CPU: the handover
	// costs no thread wake-up and no migration, and does not depend on
	// where the kernel would place a woken thread (behind another core's
	// CPU-bound task, for a scheduler slice, in the worst case).
	t.th.unlock()
	select {
	case tok := <-t.resume:
		e.resumeOn(t, tok)
		return nil
	case <-ctx.Done():
	}
	e.mu.Lock()
	if t.state == stateSuspended {
		// Still queued: leave without a token; Run unwinds tokenless.
		e.q.remove(t)
		e.suspended--
		t.state = stateRunning
		e.settleLocked()
		e.mu.Unlock()
		return context.Cause(ctx)
	}
	e.mu.Unlock()
	e.resumeOn(t, <-t.resume) // a token was handed over meanwhile
	return context.Cause(ctx)
}

// resumeOn continues t on tok, wiring its goroutine to the thread it
// resumes on and pinning that to tok's CPU.
func (e *Executor) resumeOn(t *task, tok *token) {
	t.th.lock()
	e.pin(&t.th, tok.cpu)
	t.slotStart = e.clock.Now()
}
