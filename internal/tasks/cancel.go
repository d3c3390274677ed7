package tasks

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
)

// Cancel cancels task id. A scheduled or queued task is canceled at once;
// a running one has its attempt's context canceled and becomes canceled
// when the attempt returns (the record returned still says running).
// A finished task answers ErrConflict, an unknown one ErrNotFound.
func (s *Service) Cancel(ctx context.Context, id string) (Record, error) {
	s.mu.Lock()
	e, ok := s.active[id]
	if !ok || !e.isCommitted() {
		s.mu.Unlock()
		rec, err := s.Get(ctx, id)
		if err != nil {
			return rec, err
		}
		return rec, fmt.Errorf("%w: task %s is %s", ErrConflict, id, rec.State)
	}
	if e.rec.State == Running {
		e.canceling = true
		if e.cancel != nil {
			e.cancel(context.Canceled)
		}
		r := s.viewLocked(e)
		s.mu.Unlock()
		return r, nil
	}
	if e.index >= 0 {
		if e.rec.State == Scheduled {
			heap.Remove(&s.timers, e.index)
		} else {
			heap.Remove(&s.ready, e.index)
		}
	}
	now := s.clock.Now()
	next := e.rec.clone()
	next.moveTo(Canceled)
	next.FinishedAt, next.ExpiresAt = now, now.Add(s.retention())
	next.ErrorCode, next.ErrorMessage = errkind.CodeCanceled, "canceled by request"
	w := Write{Rec: &next, Prev: e.last}
	e.last = &next
	delete(s.active, id)
	s.mu.Unlock()
	_, tx, done, err := s.startOutcome(w)
	if err == nil {
		err = <-done
	}
	if tx != nil {
		tx.settle(err)
	}
	if err != nil {
		return Record{}, err
	}
	s.count.outcome(Canceled)
	if e.done != nil {
		e.final = &next
		close(e.done)
	}
	return next.clone(), nil
}

// Retry requeues a failed, dead or canceled task with a fresh retry
// budget; its attempts so far still count in Attempts. A succeeded or
// unfinished task answers ErrConflict.
func (s *Service) Retry(ctx context.Context, id string) (Record, error) {
	s.mu.Lock()
	if _, ok := s.active[id]; ok {
		s.mu.Unlock()
		return Record{}, fmt.Errorf("%w: task %s has not finished", ErrConflict, id)
	}
	s.mu.Unlock()
	prev, found, err := s.store.Task(id)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if prev.State == Succeeded || !prev.State.Terminal() {
		return Record{}, fmt.Errorf("%w: task %s is %s", ErrConflict, id, prev.State)
	}
	now := s.clock.Now()
	next := prev.clone()
	next.moveTo(Queued)
	next.QueuedAt, next.RetryBase = now, prev.Attempts
	next.FinishedAt, next.ExpiresAt, next.RunAt = time.Time{}, time.Time{}, time.Time{}
	next.ErrorCode, next.ErrorMessage, next.Output = "", "", nil
	next.ErrorOutput, next.ErrorOutputTruncated = "", false

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Record{}, ErrClosed
	}
	if _, ok := s.active[id]; ok { // a concurrent Retry won
		s.mu.Unlock()
		return Record{}, fmt.Errorf("%w: task %s has not finished", ErrConflict, id)
	}
	e := &entry{rec: next, last: &next, committed: make(chan struct{}), index: -1}
	s.active[id] = e
	s.mu.Unlock()
	err = s.commit.commit(Write{Rec: &next, Prev: &prev})
	s.mu.Lock()
	defer s.mu.Unlock()
	e.err = err
	close(e.committed)
	if err != nil {
		delete(s.active, id)
		return Record{}, err
	}
	out := next.clone()
	e.shedInput()
	s.enqueueLocked(e, now)
	return out, nil
}
