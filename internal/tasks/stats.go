package tasks

import "sync/atomic"

// Stats are a Service's figures: gauges of the tasks it holds and counters
// since it started.
type Stats struct {
	// Scheduled, Queued and Running count the tasks in those states;
	// InFlight counts attempts handed to the executor.
	Scheduled, Queued, Running, InFlight int
	// Submitted counts tasks created (not idempotent repeats); Outcomes
	// counts finished tasks by final state; Retries counts attempts
	// followed by a retry; Recovered counts tasks found running at start-up;
	// Reaped counts running records requeued later because their lease
	// ended and no attempt of this process held them; LeaseRenewals counts
	// lease renewals written; LostClaims counts attempts whose outcome the
	// store refused because another writer had changed the task
	// meanwhile (a store shared by several processes).
	Submitted, Retries, Recovered, Reaped, LeaseRenewals, LostClaims uint64
	Outcomes                                                         map[State]uint64
	// Commits and CommitWrites count group commits and the writes they
	// applied: CommitWrites/Commits is the mean group size.
	Commits, CommitWrites uint64
}

// counters are the Service's counters, updated without its lock.
type counters struct {
	submitted, retries, recovered     atomic.Uint64
	reaped, renewals, lost            atomic.Uint64
	succeeded, failed, canceled, dead atomic.Uint64
}

func (c *counters) outcome(s State) {
	switch s {
	case Succeeded:
		c.succeeded.Add(1)
	case Failed:
		c.failed.Add(1)
	case Canceled:
		c.canceled.Add(1)
	case Dead:
		c.dead.Add(1)
	}
}

// Stats returns a snapshot of the service's figures. It is safe for
// concurrent use.
func (s *Service) Stats() Stats {
	st := Stats{
		Submitted:     s.count.submitted.Load(),
		Retries:       s.count.retries.Load(),
		Recovered:     s.count.recovered.Load(),
		Reaped:        s.count.reaped.Load(),
		LeaseRenewals: s.count.renewals.Load(),
		LostClaims:    s.count.lost.Load(),
		Outcomes: map[State]uint64{
			Succeeded: s.count.succeeded.Load(),
			Failed:    s.count.failed.Load(),
			Canceled:  s.count.canceled.Load(),
			Dead:      s.count.dead.Load(),
		},
	}
	if c := s.commit; c != nil {
		st.Commits, st.CommitWrites = c.commits.Load(), c.writes.Load()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.InFlight = s.inFlight
	for _, e := range s.active {
		switch e.rec.State {
		case Scheduled:
			st.Scheduled++
		case Queued:
			st.Queued++
		case Running:
			st.Running++
		}
	}
	return st
}
