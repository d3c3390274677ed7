package tasks

import (
	"context"
	"fmt"
)

// Start recovers the tasks found in the store and starts the service:
// tasks found running were interrupted (their attempt counts) and are
// requeued, queued ones are dispatched again, scheduled ones go back on
// the timer heap. It also starts garbage collection of expired tasks and
// the renewal and reaping of leases.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return fmt.Errorf("tasks: already started")
	}
	s.started = true
	s.mu.Unlock()
	s.commit = newCommitter(s.store)
	if s.cfg.Events {
		s.commit.events = s.writeEvents
	}
	if err := s.store.IdempotencyKeys(func(key, id string) error {
		s.idem[key] = id
		return nil
	}); err != nil {
		return fmt.Errorf("tasks: loading idempotency keys: %w", err)
	}
	var found []Record
	if err := s.store.ActiveTasks(func(r Record) error {
		found = append(found, r)
		return nil
	}); err != nil {
		return fmt.Errorf("tasks: loading active tasks: %w", err)
	}
	now := s.clock.Now()
	var requeue []Write
	entries := make([]*entry, 0, len(found))
	for i := range found {
		r := &found[i]
		r.shedInput() // a record stored before InputBytes came with its input
		e := &entry{rec: *r, last: r, committed: closedChan, index: -1}
		if r.State == Running {
			next := requeued(*r, now)
			requeue = append(requeue, Write{Rec: &next, Prev: r})
			e.rec, e.last = next, &next
		}
		entries = append(entries, e)
	}
	if len(requeue) > 0 {
		if s.commit.events != nil {
			for i := range requeue {
				s.commit.events(&requeue[i]) // task.retrying, task.queued
			}
		}
		if err := s.store.CommitTasks(requeue); err != nil {
			return fmt.Errorf("tasks: requeuing interrupted tasks: %w", err)
		}
	}
	s.count.recovered.Add(uint64(len(requeue)))
	s.log.Info("tasks recovered", "active", len(found), "requeued_running", len(requeue), "idempotency_keys", len(s.idem))
	s.mu.Lock()
	for _, e := range entries {
		s.active[e.rec.ID] = e
	}
	for _, e := range entries {
		s.enqueueLocked(e, now)
	}
	s.mu.Unlock()
	s.loops.Add(3)
	go s.timerLoop()
	go s.gcLoop()
	go s.leaseLoop()
	return nil
}

// Close stops accepting tasks (Submit answers ErrClosed), stops starting
// attempts and waits for the running ones to finish and be recorded. If
// ctx ends first, the running attempts are canceled and left running on
// disk, to be requeued on the next start (their uncheckpointed kv writes
// are dropped, as after a crash). Queued and scheduled tasks stay on disk
// as they are. Close then commits what is pending and returns.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	close(s.stop)
	s.loops.Wait()
	drained := make(chan struct{})
	go func() { s.attempts.Wait(); close(drained) }()
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancelRun(errShutdown)
		<-drained
	}
	s.commit.close()
	return err
}
