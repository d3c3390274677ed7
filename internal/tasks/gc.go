package tasks

import (
	"time"
)

// gcBatch bounds the records deleted by one transaction.
const gcBatch = 1000

// gcLoop deletes tasks whose retention has passed, with their indexes,
// blobs, checkpoints and idempotency keys, every gcInterval.
func (s *Service) gcLoop() {
	defer s.loops.Done()
	for s.sleep(s.gcInterval()) {
		if _, err := s.CollectGarbage(s.clock.Now()); err != nil {
			s.log.Error("task garbage collection", "err", err)
		}
	}
}

func (s *Service) gcInterval() time.Duration {
	return min(max(s.retention()/10, time.Second), time.Minute)
}

// CollectGarbage deletes every task that expired before now and returns
// how many it deleted.
func (s *Service) CollectGarbage(now time.Time) (int, error) {
	total := 0
	for {
		recs, err := s.store.ExpiredTasks(now, gcBatch)
		if err != nil || len(recs) == 0 {
			return total, err
		}
		ws := make([]Write, len(recs))
		for i := range recs {
			ws[i] = Write{Rec: &recs[i], Delete: true}
		}
		if err := s.commit.commit(ws...); err != nil {
			return total, err
		}
		s.mu.Lock()
		for _, r := range recs {
			if r.IdempotencyKey != "" && s.idem[r.IdempotencyKey] == r.ID {
				delete(s.idem, r.IdempotencyKey)
			}
		}
		s.mu.Unlock()
		total += len(recs)
		if len(recs) < gcBatch {
			return total, nil
		}
	}
}
