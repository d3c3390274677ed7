package tasks

import (
	"time"
)

// reapPage is how many running records one store read of the reaper takes.
const reapPage = 1024

// Leases. An attempt takes a lease of Config.Lease when it starts
// (lease_until in its record). leaseLoop renews every live attempt's lease
// every Lease/3, all of them in one group commit, and requeues every
// running record whose lease has ended and that this process is not
// running.
//
// An attempt is live from startLocked until finish records its outcome;
// its lease is renewed for all that time, however long it overruns: an
// attempt that hangs is ended by its deadline and cancellation, never by
// the reaper, so no task runs twice at once. The reaper only requeues a
// record that has no entry in s.active: a record the process knows is
// either live or has a newer state on its way to disk.

// leaseLoop renews and reaps every Lease/3 until the service stops.
func (s *Service) leaseLoop() {
	defer s.loops.Done()
	for s.sleep(s.cfg.Lease / 3) {
		s.renewLeases(s.clock.Now())
		s.reapExpired(s.clock.Now())
	}
}

// renewLeases extends the lease of every live attempt to now+Lease. The
// writes are queued as one request of the group commit, not awaited: a
// renewal lost to a crash does not matter, since start-up requeues every
// running record anyway.
func (s *Service) renewLeases(now time.Time) {
	until := now.Add(s.cfg.Lease)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	var ws []Write
	for _, e := range s.active {
		if e.cancel == nil || e.last == nil || e.last.State != Running {
			continue
		}
		// From e.last, not e.rec: a checkpoint being committed is only
		// in e.last, and the renewal must not undo it.
		next := e.last.clone()
		next.LeaseUntil = until
		ws = append(ws, Write{Rec: &next, Prev: e.last})
		e.last = &next
		e.rec.LeaseUntil = until
	}
	if len(ws) > 0 {
		s.commit.commitAsync(ws...)
		s.count.renewals.Add(uint64(len(ws)))
	}
}

// reapExpired requeues the running records on disk whose lease ended before
// now and that this process does not hold: attempts of an earlier process
// that start-up did not requeue. Like start-up recovery, the interrupted
// attempt counts and the last checkpoint is kept.
func (s *Service) reapExpired(now time.Time) {
	var expired []string
	cursor := ""
	for {
		page, err := s.store.ListTasks(Filter{State: Running, Cursor: cursor}, reapPage)
		if err != nil {
			s.log.Error("task: listing running tasks for expired leases", "err", err)
			return
		}
		for _, r := range page {
			if r.LeaseUntil.Before(now) {
				expired = append(expired, r.ID)
			}
		}
		if len(page) < reapPage {
			break
		}
		cursor = page[len(page)-1].ID
	}
	for _, id := range expired {
		s.reapOne(id, now)
	}
}

// reapOne requeues task id if it is still running on disk with an ended
// lease and the process does not hold it. The record is read again under
// s.mu: an entry leaves s.active only once its terminal state is on disk,
// so a record absent from s.active and running on disk is nobody's here.
// The requeue is a compare-and-set awaited before the task is taken up:
// if another process renewed or claimed the record meanwhile, the store
// refuses it and the task stays that process's.
func (s *Service) reapOne(id string, now time.Time) {
	s.mu.Lock()
	if _, held := s.active[id]; held || s.closed {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	rec, found, err := s.store.Task(id)
	if err != nil {
		s.log.Error("task: reading a task with an expired lease", "task", id, "err", err)
		return
	}
	if !found || rec.State != Running || !rec.LeaseUntil.Before(now) {
		return
	}
	next := requeued(rec, now)
	if err := s.commit.commit(Write{Rec: &next, Prev: &rec}); err != nil {
		if !lostClaim(err) {
			s.log.Error("task: requeuing a task with an expired lease", "task", id, "err", err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Only the reaper (this goroutine) adds a running record's task to
	// s.active while the service runs, so id is still not held.
	e := &entry{rec: next, last: &next, committed: closedChan, index: -1}
	s.active[id] = e
	if k := rec.IdempotencyKey; k != "" {
		if _, ok := s.idem[k]; !ok {
			s.idem[k] = id
		}
	}
	s.count.reaped.Add(1)
	s.log.Warn("task: lease expired; requeued", "task", id, "lease_until", rec.LeaseUntil, "attempts", rec.Attempts)
	if !s.closed {
		s.enqueueLocked(e, now)
	}
}

// requeued is r, found running but run by nobody, queued again: its
// attempt stays counted and its checkpoint is kept.
func requeued(r Record, now time.Time) Record {
	next := r.clone()
	next.moveTo(Queued)
	next.QueuedAt, next.LeaseUntil, next.Owner = now, time.Time{}, ""
	return next
}
