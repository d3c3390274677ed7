package tasks

import (
	"context"
)

// Wait returns task id's record once it is terminal, or its current record
// when ctx ends first (then ctx's error is not returned: the caller tells
// by the record's State). Waiting costs one channel per task, closed when
// the task's terminal state is durable; nothing polls.
func (s *Service) Wait(ctx context.Context, id string) (Record, error) {
	for {
		s.mu.Lock()
		e, ok := s.active[id]
		if !ok {
			s.mu.Unlock()
			return s.Get(ctx, id)
		}
		if e.done == nil {
			e.done = make(chan struct{})
		}
		done, committed := e.done, e.committed
		s.mu.Unlock()
		select {
		case <-committed:
		case <-ctx.Done():
			return s.Get(context.WithoutCancel(ctx), id)
		}
		select {
		case <-done:
			if e.final != nil { // the record just committed, not read back
				return e.final.clone(), nil
			}
		case <-ctx.Done():
			return s.Get(context.WithoutCancel(ctx), id)
		}
	}
}

// Progress returns the last progress task id reported: live for a running
// attempt, as recorded otherwise.
func (s *Service) Progress(ctx context.Context, id string) ([2]int64, error) {
	r, err := s.Get(ctx, id)
	return r.Progress, err
}
