package schedule

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// runner is one schedule's goroutine. It alone changes the schedule, so
// its state needs no lock: operations from the Manager run inside it as
// requests.
type runner struct {
	m    *Manager
	name string   // s.Name, readable from any goroutine
	s    Schedule // as stored
	tt   timetable
	// catchUpBefore is set for a schedule loaded at start: its due times
	// before it passed while the server was down.
	catchUpBefore time.Time

	reqs chan request
	done chan struct{} // closed when run returns

	retry   time.Duration // current backoff after an error; 0 after a success
	retryAt time.Time     // no work before this

	// A buffered due time fires when the schedule's running tasks have
	// finished: a watcher goroutine waits for them (Submitter.Wait) and
	// signals finished. watching is the tasks it waits for.
	watching  []string
	stopWatch context.CancelFunc
	finished  chan struct{} // buffered 1

	wake chan struct{} // buffered 1; the timer of run signals it
}

// watchFallback is how often a buffered due time's predecessors are
// checked even without a signal from the watcher, in case the task
// system's notification is lost.
const watchFallback = 5 * time.Second

// request is an operation run in the runner's goroutine: it returns the
// schedule, whether the runner stops, and an error.
type request struct {
	op    func(*runner) (Schedule, bool, error)
	reply chan reply
}

type reply struct {
	s   Schedule
	err error
}

// call runs op in r's goroutine and returns its result.
func (r *runner) call(ctx context.Context, op func(*runner) (Schedule, bool, error)) (Schedule, error) {
	req := request{op: op, reply: make(chan reply, 1)}
	select {
	case r.reqs <- req:
	case <-r.done: // deleted meanwhile, or the Manager closed
		if ctx.Err() != nil {
			return Schedule{}, ErrClosed
		}
		return Schedule{}, fmt.Errorf("%w: %q", ErrNotFound, r.name)
	case <-ctx.Done():
		return Schedule{}, ErrClosed
	}
	rep := <-req.reply
	return rep.s, rep.err
}

// run is the goroutine: do what is due, sleep on a timer until the next
// thing is, or until a request arrives.
func (r *runner) run(ctx context.Context) {
	defer close(r.done)
	defer r.unwatch()
	if r.s.Firing != nil {
		r.m.log.Info("schedule: completing a firing interrupted by a stop", "schedule", r.s.Name, "due", *r.s.Firing)
	}
	var timer Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		wake := r.step(ctx)
		if timer != nil {
			timer.Stop()
			timer = nil
		}
		select { // a signal of the timer just stopped
		case <-r.wake:
		default:
		}
		if !wake.IsZero() {
			timer = r.m.clock.AfterFunc(wake.Sub(r.m.clock.Now()), r.signal)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-r.finished:
			r.unwatch()
		case req := <-r.reqs:
			s, stop, err := req.op(r)
			req.reply <- reply{s, err}
			if stop {
				return
			}
		}
	}
}

// signal wakes run.
func (r *runner) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// step does everything that is due and returns when to wake next (zero:
// only for a request).
func (r *runner) step(ctx context.Context) time.Time {
	if ctx.Err() != nil {
		return time.Time{}
	}
	if !r.retryAt.IsZero() && r.m.clock.Now().Before(r.retryAt) {
		return r.retryAt
	}
	if r.s.Firing != nil && !r.complete(ctx) {
		return r.backoff()
	}
	if !r.catchUpBefore.IsZero() {
		if !r.catchUp() {
			return r.backoff()
		}
		r.catchUpBefore = time.Time{}
	}
	if r.s.Paused {
		return time.Time{}
	}
	if r.s.Buffered != nil {
		if r.refreshActive(ctx); len(r.s.Active) == 0 {
			r.unwatch()
			if !r.fire(ctx, *r.s.Buffered, true) {
				return r.backoff()
			}
		}
	}
	// One due time per step: a schedule that fires slower than it is due
	// still returns to the select between due times, so pause, resume and
	// delete are served.
	if due := r.s.NextDue; !due.IsZero() && !due.After(r.m.clock.Now()) && !r.handleDue(ctx, due) {
		return r.backoff()
	}
	r.retry = 0
	if r.s.Buffered != nil {
		r.watch(ctx)
		return r.wakeAt(r.m.clock.Now().Add(watchFallback))
	}
	r.unwatch()
	return r.wakeAt(time.Time{})
}

// watch starts a watcher for the schedule's running tasks unless one
// already waits for the same ones.
func (r *runner) watch(ctx context.Context) {
	if r.stopWatch != nil && slices.Equal(r.watching, r.s.Active) {
		return
	}
	r.unwatch()
	ids := slices.Clone(r.s.Active)
	wctx, cancel := context.WithCancel(ctx)
	r.watching, r.stopWatch = ids, cancel
	go func() {
		for _, id := range ids {
			if err := r.m.sub.Wait(wctx, id); err != nil {
				if wctx.Err() != nil {
					return
				}
				// The fallback check will look again; do not spin.
				r.m.log.Warn("schedule: waiting for a task", "schedule", r.name, "task", id, "err", err)
				return
			}
		}
		select {
		case r.finished <- struct{}{}:
		default:
		}
	}()
}

// unwatch stops the watcher, if any.
func (r *runner) unwatch() {
	if r.stopWatch != nil {
		r.stopWatch()
		r.watching, r.stopWatch = nil, nil
	}
}

// wakeAt returns the earlier of t and the next due time.
func (r *runner) wakeAt(t time.Time) time.Time {
	if t.IsZero() || (!r.s.NextDue.IsZero() && r.s.NextDue.Before(t)) {
		return r.s.NextDue
	}
	return t
}

// backoff schedules a retry after an error.
func (r *runner) backoff() time.Time {
	r.retry = min(max(2*r.retry, r.m.cfg.RetryBackoff), 30*time.Second)
	r.retryAt = r.m.clock.Now().Add(r.retry)
	return r.retryAt
}

// handleDue applies the overlap policy to due and fires, skips or buffers
// it. It reports false after an error.
func (r *runner) handleDue(ctx context.Context, due time.Time) bool {
	if r.s.Overlap != OverlapAllow && len(r.s.Active) > 0 {
		r.refreshActive(ctx)
	}
	if r.s.Buffered != nil && len(r.s.Active) == 0 {
		// The buffered due time goes first; due then overlaps it.
		if !r.fire(ctx, *r.s.Buffered, true) {
			return false
		}
	}
	if r.s.Overlap == OverlapAllow || len(r.s.Active) == 0 {
		return r.fire(ctx, due, false)
	}
	n := r.next()
	n.NextDue = r.tt.next(due)
	if r.s.Overlap == OverlapBufferOne && n.Buffered == nil {
		n.Buffered = &due
		return r.commit(n)
	}
	return r.commit(n, Run{Due: due, Outcome: OutcomeSkipped})
}

// fire decides durably to fire due, then submits it.
func (r *runner) fire(ctx context.Context, due time.Time, buffered bool) bool {
	n := r.next()
	n.Firing = &due
	if buffered {
		n.Buffered = nil
	} else {
		n.NextDue = r.tt.next(due)
	}
	return r.commit(n) && r.complete(ctx)
}

// complete submits the due time being fired and records the run. Called
// again after a crash or an error, it submits with the same idempotency
// key, so the task system returns the task of the first submission.
func (r *runner) complete(ctx context.Context) bool {
	due := *r.s.Firing
	fired := r.m.clock.Now().UTC()
	id, err := r.m.sub.Submit(ctx, r.s.Task, IdempotencyKey(r.s.Name, due), due)
	run := Run{Due: due, FiredAt: &fired, TaskID: id, Outcome: OutcomeSubmitted}
	n := r.next()
	n.Firing = nil
	switch {
	case err != nil && (ctx.Err() != nil || (r.m.cfg.Retryable != nil && r.m.cfg.Retryable(err))):
		r.m.log.Warn("schedule: submission failed; will retry", "schedule", r.s.Name, "due", due, "err", err)
		return false
	case err != nil:
		r.m.log.Warn("schedule: submission refused", "schedule", r.s.Name, "due", due, "err", err)
		run.Outcome, run.Error = OutcomeFailed, err.Error()
	case r.s.Overlap != OverlapAllow:
		n.Active = append(n.Active, id)
	}
	return r.commit(n, run)
}

// refreshActive drops the runs that have finished from Active. Only the
// in-memory state changes; the next commit stores it (after a crash the
// finished runs are simply checked again).
func (r *runner) refreshActive(ctx context.Context) {
	active := r.s.Active[:0:0]
	for _, id := range r.s.Active {
		done, err := r.m.sub.Done(ctx, id)
		if err != nil {
			r.m.log.Warn("schedule: task state unknown; taken as finished", "schedule", r.s.Name, "task", id, "err", err)
			done = true
		}
		if !done {
			active = append(active, id)
		}
	}
	r.s.Active = active
}

// next returns a copy of the schedule to change and commit.
func (r *runner) next() Schedule {
	n := r.s
	n.Active = slices.Clone(r.s.Active)
	return n
}

// commit stores n with runs and makes it the current state. It reports
// false (and keeps the old state) if the store failed.
func (r *runner) commit(n Schedule, runs ...Run) bool {
	return r.save(n, runs...) == nil
}

// save is commit returning the store's error.
func (r *runner) save(n Schedule, runs ...Run) error {
	if err := r.m.saver.save(Save{Schedule: n, Runs: runs}); err != nil {
		r.m.log.Error("schedule: saving state failed; will retry", "schedule", r.s.Name, "err", err)
		return err
	}
	r.s = n
	return nil
}

// pause is the request of Manager.Pause.
func (r *runner) pause() (Schedule, bool, error) {
	if r.s.Paused {
		return r.s, false, nil
	}
	n := r.next()
	n.Paused = true
	var runs []Run
	if n.Buffered != nil {
		runs = append(runs, Run{Due: *n.Buffered, Outcome: OutcomeSkipped})
		n.Buffered = nil
	}
	if err := r.save(n, runs...); err != nil {
		return r.s, false, err
	}
	r.m.log.Info("schedule paused", "schedule", r.s.Name)
	return r.s, false, nil
}

// resume is the request of Manager.Resume.
func (r *runner) resume() (Schedule, bool, error) {
	if !r.s.Paused {
		return r.s, false, nil
	}
	n := r.next()
	n.Paused = false
	n.NextDue = r.tt.next(r.m.clock.Now())
	if err := r.save(n); err != nil {
		return r.s, false, err
	}
	r.m.log.Info("schedule resumed", "schedule", r.s.Name, "next_due", n.NextDue)
	return r.s, false, nil
}

// delete is the request of Manager.Delete.
func (r *runner) delete() (Schedule, bool, error) {
	if err := r.m.st.DeleteSchedule(r.s.Name); err != nil {
		return r.s, false, err
	}
	return r.s, true, nil
}
