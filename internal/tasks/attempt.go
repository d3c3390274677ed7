package tasks

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/executor"
)

// dispatchLocked starts attempts of ready tasks while in-flight slots are
// free.
func (s *Service) dispatchLocked() {
	for s.inFlight < s.cfg.MaxInFlight && s.ready.Len() > 0 && !s.closed {
		e := heap.Pop(&s.ready).(*entry)
		s.startLocked(e)
	}
}

// startLocked marks e running with a lease of Config.Lease, renewed by
// leaseLoop while the attempt lives (the write is queued, not awaited: if
// the process dies before it commits, the task is found queued and runs
// again without the attempt counted) and runs the attempt on a goroutine.
func (s *Service) startLocked(e *entry) {
	now := s.clock.Now()
	s.transitionLocked(e, func(r *Record) {
		// The claim: one more attempt, in this Service's name. The store
		// takes it only from the queued record this one was based on.
		r.moveTo(Running)
		r.StartedAt, r.LeaseUntil = now, now.Add(s.cfg.Lease)
		r.Attempts++
		r.Owner = s.owner
		r.Cache = ""
	})
	ctx, cancel := context.WithCancelCause(s.runCtx)
	e.cancel = cancel
	s.inFlight++
	s.attempts.Add(1)
	rec := e.rec
	s.workers.run(func() { s.runAttempt(ctx, e, rec) })
}

// runAttempt runs one attempt of rec and records its outcome.
func (s *Service) runAttempt(ctx context.Context, e *entry, rec Record) {
	defer s.attempts.Done()
	if rec.inputShed() {
		in, err := s.store.TaskInput(rec.ID)
		if err != nil {
			s.log.Error("task: loading input", "task", rec.ID, "err", err)
			s.finish(ctx, e, nil, fmt.Errorf("%w: loading the task's input: %v", errkind.ErrUnavailable, err), newKVTxn(s.kv), time.Time{}, "", nil)
			return
		}
		rec.Input = in
	}
	var checkpoint []byte
	if rec.CheckpointBytes > 0 {
		cp, err := s.store.Checkpoint(rec.ID)
		if err != nil {
			s.log.Error("task: loading checkpoint", "task", rec.ID, "err", err)
		}
		checkpoint = cp
	}
	bound := time.Duration(rec.QueueTimeoutMs) * time.Millisecond
	queueTimeout := bound
	if queueTimeout > 0 && !rec.QueuedAt.IsZero() {
		// The bound counts from when the task became due: its wait for an
		// in-flight slot here counts as well as its wait in the executor.
		left := queueTimeout - s.clock.Now().Sub(rec.QueuedAt)
		if left <= 0 {
			s.finish(ctx, e, nil, &executor.QueueTimeoutError{Timeout: bound}, newKVTxn(s.kv), time.Time{}, "", nil)
			return
		}
		queueTimeout = left
	}
	kv := newKVTxn(s.kv)
	mounts, release, err := HoldMounts(s.cfg.Bundles, rec.Mounts)
	if err != nil {
		s.finish(ctx, e, nil, err, kv, time.Time{}, "", nil)
		return
	}
	defer release()
	var started time.Time
	var preempted []time.Time // on this goroutine: OnPreempt runs on Run's
	pe := &progressEvents{s: s, rec: &rec}
	tr := &attemptTrace{}
	// The queue span of a first attempt starts at the submission (a delay
	// included), that of a retry when it became due.
	submitted := rec.QueuedAt
	if rec.Attempts <= 1 {
		submitted = rec.SubmittedAt
	}
	res, cached, err := s.run(ctx, &rec, Attempt{
		Submitted:    submitted,
		TraceParent:  rec.TraceParent,
		TraceState:   rec.TraceState,
		trace:        tr,
		ID:           rec.ID,
		Module:       rec.Module,
		Version:      rec.Version,
		Priority:     rec.Priority,
		Category:     rec.Category,
		QueueTimeout: queueTimeout,
		OnStart:      func() { started = s.clock.Now() },
		OnPreempt: func() {
			preempted = append(preempted, s.clock.Now())
			s.publishAlone(events.TaskPreempted, &rec, nil)
		},
		OnResume: func() { s.publishAlone(events.TaskResumed, &rec, nil) },
		Request: host.Request{
			Input:        rec.Input,
			Limits:       host.Limits{Fuel: rec.Fuel, MemoryBytes: rec.MemoryBytes, Timeout: time.Duration(rec.TimeoutMs) * time.Millisecond},
			Namespace:    rec.Module,
			Config:       rec.Config,
			Grants:       host.Grants{Mounts: mounts},
			Checkpoint:   checkpoint,
			KV:           kv,
			Spawner:      s.attemptSpawner(&rec),
			OnCheckpoint: func(cp []byte) error { return s.saveCheckpoint(e, cp, kv) },
			OnProgress: func(done, total int64) {
				e.progress.Store(&[2]int64{done, total})
				pe.report(done, total)
			},
		},
	})
	if qt := (*executor.QueueTimeoutError)(nil); errors.As(err, &qt) {
		qt.Timeout = bound // the whole bound, not what was left of it
	}
	if hp := (*host.PanicError)(nil); errors.As(err, &hp) {
		s.log.Error("task: host function panicked", "task", rec.ID, "import", hp.Import, "panic", hp.Value, "stack", string(hp.Stack))
	}
	commit := tr.start("commit")
	s.finish(ctx, e, res, err, kv, started, cached, preempted)
	commit.End()
}

// saveCheckpoint commits a checkpoint, with the kv writes the attempt made
// since its previous one, before checkpoint_save returns to the guest.
func (s *Service) saveCheckpoint(e *entry, cp []byte, kv *kvTxn) error {
	s.mu.Lock()
	next := e.rec.clone()
	next.CheckpointBytes = len(cp)
	if p := e.progress.Load(); p != nil {
		next.Progress = *p
	}
	w := Write{Rec: &next, Prev: e.last, Checkpoint: cp, KV: kv.take()}
	e.last = &next
	s.mu.Unlock()
	err := s.commit.commit(w)
	if err == nil {
		s.mu.Lock()
		e.rec.CheckpointBytes, e.rec.Progress = next.CheckpointBytes, next.Progress
		s.mu.Unlock()
	}
	return err
}

// finish records the outcome of an attempt: succeeded, retried later,
// failed, dead or canceled. The new state is visible to readers only once
// it is durable.
//
// cached is how the result cache answered (Record.Cache).
func (s *Service) finish(ctx context.Context, e *entry, res *host.Result, err error, kv *kvTxn, started time.Time, cached string, preempted []time.Time) {
	if errors.Is(context.Cause(ctx), errShutdown) || errors.Is(err, executor.ErrClosed) {
		// Interrupted by shutdown: leave the record running on disk, like
		// a crash; start-up requeues it. Its uncheckpointed writes go.
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	s.inFlight--
	next := e.rec.clone()
	next.LeaseUntil, next.Owner, next.Cache = time.Time{}, "", cached
	next.Preemptions += len(preempted)
	next.addEvents(EventPreempted, next.Attempts, preempted)
	if !started.IsZero() {
		next.StartedAt = started // when it got its token, not when it was handed over
	}
	if res != nil {
		next.FuelUsed, next.Logs = res.FuelUsed, string(res.Logs)
		next.Progress = res.Progress
	}
	w := Write{Rec: &next, Prev: e.last}
	code := errkind.Code(err)
	var qf *executor.QueueFullError
	var rl *executor.RateLimitError
	switch {
	case err == nil:
		next.moveTo(Succeeded)
		next.Output = res.Output
		next.ErrorCode, next.ErrorMessage = "", ""
		next.ErrorOutput, next.ErrorOutputTruncated = "", false
		w.KV = kv.take()
	case errors.As(err, &qf) || errors.As(err, &rl):
		// Not an attempt: the executor had no room. Try again soon.
		next.Attempts--
		next.moveTo(Scheduled)
		next.RunAt = now.Add(max(errkind.RetryAfter(err)/10, 10*time.Millisecond))
	default:
		next.ErrorCode, next.ErrorMessage = code, err.Error()
		next.ErrorOutput, next.ErrorOutputTruncated = "", false
		if res != nil {
			tail, cut := OutputTail(res.Output)
			next.ErrorOutput, next.ErrorOutputTruncated = string(tail), cut
		}
		switch {
		case e.canceling || code == errkind.CodeCanceled:
			next.moveTo(Canceled)
		case errors.Is(err, executor.ErrQueueTimeout):
			// It waited as long as its submitter allowed; another
			// attempt would wait again.
			next.moveTo(Failed)
		case !s.cfg.Retry(err):
			next.moveTo(Failed)
		case next.Attempts-next.RetryBase > next.MaxRetries:
			next.moveTo(Dead)
		default:
			next.moveTo(Scheduled)
			next.RunAt = now.Add(backoff(next.Attempts-next.RetryBase, s.cfg.BackoffBase, s.cfg.BackoffMax))
		}
	}
	if next.State.Terminal() {
		next.FinishedAt, next.ExpiresAt = now, now.Add(s.retention())
	}
	e.last, e.cancel = &next, nil
	s.dispatchLocked()
	s.mu.Unlock()

	if err := s.commitOutcome(w); err != nil {
		if lostClaim(err) {
			s.dropLost(e, err)
		}
		return
	}
	s.mu.Lock()
	e.rec = next
	e.progress.Store(nil)
	s.count.outcome(next.State)
	if next.State == Scheduled && next.ErrorCode != "" {
		s.count.retries.Add(1)
	}
	if next.State.Terminal() {
		delete(s.active, next.ID)
		if e.done != nil {
			e.final = &next
			close(e.done)
		}
		s.mu.Unlock()
		return
	}
	s.enqueueLocked(e, s.clock.Now())
	canceling := e.canceling
	s.mu.Unlock()
	if canceling { // Cancel came while this outcome was being committed
		if _, err := s.Cancel(context.Background(), next.ID); err != nil {
			s.log.Error("task: canceling", "task", next.ID, "err", err)
		}
	}
}

// commitOutcome commits an attempt's outcome, retrying while the store
// fails (a full disk, say) until the service closes (then ErrClosed). If
// the outcome is not durable the record still says running and the next
// start-up runs the task again. A store that refuses the write because
// the attempt's claim is no longer the record's (lostClaim) is not asked
// again.
func (s *Service) commitOutcome(w Write) (err error) {
	ws, tx, done, err := s.startOutcome(w)
	if err == nil {
		err = <-done
	}
	if tx != nil {
		defer func() { tx.settle(err) }()
	}
	if errors.Is(err, errNoOutcome) || ws == nil {
		return err
	}
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
		if err == nil || lostClaim(err) {
			return err
		}
		s.log.Error("task: committing outcome; retrying", "task", w.Rec.ID, "err", err, "in", delay)
		if !s.sleep(delay) {
			return ErrClosed
		}
		err = s.commit.commit(ws...)
	}
}

// lostClaim reports whether err is the store's refusal of a write based
// on a record another writer has changed: another process claimed or
// changed the task, and this one's attempt no longer holds it.
func lostClaim(err error) bool {
	return errors.Is(err, ErrStale) || errors.Is(err, ErrTransition)
}

// dropLost forgets e, whose attempt lost its claim: the task's record is
// another writer's, the attempt's outcome and kv writes are not
// committed, and readers see the stored record.
func (s *Service) dropLost(e *entry, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := e.rec.ID
	if s.active[id] == e {
		delete(s.active, id)
	}
	if e.done != nil {
		close(e.done) // no final: waiters read the store
		e.done = nil
	}
	s.count.lost.Add(1)
	s.log.Warn("task: the attempt's claim was lost; its outcome is dropped", "task", id, "err", err)
}
