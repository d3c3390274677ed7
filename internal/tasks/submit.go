package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/executor"
)

// Submit validates spec, pins its module version and commits a new task
// durably (synced to disk) before it returns it with created true. If the
// spec's idempotency key names a task kept within the retention window,
// Submit returns that task with created false and commits nothing.
func (s *Service) Submit(ctx context.Context, spec Spec) (rec Record, created bool, err error) {
	if err := spec.Validate(); err != nil {
		return Record{}, false, err
	}
	if rec, ok, err := s.existing(ctx, spec.IdempotencyKey); ok || err != nil {
		return rec, false, err
	}
	v, _, err := s.runner.Registry.Resolve(ctx, spec.Module, spec.Version)
	if err != nil {
		return Record{}, false, err
	}
	if spec.CacheTTLMs > 0 {
		if err := checkCacheable(v); err != nil {
			return Record{}, false, err
		}
	}
	now := time.Now()
	r := s.newRecord(spec, now)
	r.Version = v.Version

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Record{}, false, ErrClosed
	}
	if key := spec.IdempotencyKey; key != "" {
		if _, taken := s.idem[key]; taken { // lost a race with the same key
			s.mu.Unlock()
			rec, ok, err := s.existing(ctx, key)
			if !ok && err == nil {
				err = fmt.Errorf("%w: a concurrent submission with idempotency key %q failed", ErrConflict, key)
			}
			return rec, false, err
		}
		s.idem[key] = r.ID
	}
	e := &entry{rec: r, last: &r, committed: make(chan struct{}), index: -1}
	s.active[r.ID] = e
	s.mu.Unlock()

	err = s.commit.commit(Write{Rec: &r})

	s.mu.Lock()
	defer s.mu.Unlock()
	e.err = err
	close(e.committed)
	if err != nil {
		delete(s.active, r.ID)
		if r.IdempotencyKey != "" {
			delete(s.idem, r.IdempotencyKey)
		}
		// The disk refused the commit: nothing was accepted; the client
		// may try again (503 with Retry-After).
		return Record{}, false, fmt.Errorf("%w: committing task %s: %v", errcode.ErrUnavailable, r.ID, err)
	}
	s.count.submitted.Add(1)
	if !s.closed {
		s.enqueueLocked(e, time.Now())
	}
	return r.clone(), true, nil
}

// existing returns the task of an idempotency key, waiting for its
// submission to commit if it is under way.
func (s *Service) existing(ctx context.Context, key string) (Record, bool, error) {
	if key == "" {
		return Record{}, false, nil
	}
	s.mu.Lock()
	id, ok := s.idem[key]
	e := s.active[id]
	s.mu.Unlock()
	if !ok {
		return Record{}, false, nil
	}
	if e != nil {
		select {
		case <-e.committed:
		case <-ctx.Done():
			return Record{}, false, context.Cause(ctx)
		}
		if e.err != nil { // the first submission failed: this one may try
			return Record{}, false, nil
		}
	}
	rec, err := s.Get(ctx, id)
	return rec, err == nil, err
}

// newRecord builds the record of a new task from spec.
func (s *Service) newRecord(spec Spec, now time.Time) Record {
	r := Record{
		ID:             NewID(),
		Module:         spec.Module,
		State:          Queued,
		Priority:       DefaultPriority,
		Category:       spec.Category,
		Tags:           append([]string(nil), spec.Tags...),
		IdempotencyKey: spec.IdempotencyKey,
		Fuel:           spec.Fuel,
		MemoryBytes:    spec.MemoryBytes,
		TimeoutMs:      spec.TimeoutMs,
		MaxRetries:     s.cfg.DefaultMaxRetries,
		CacheTTLMs:     spec.CacheTTLMs,
		Config:         spec.Config,
		SubmittedAt:    now,
		QueuedAt:       now,
		Input:          append([]byte(nil), spec.Input...),
	}
	if spec.Priority != nil {
		r.Priority = *spec.Priority
	}
	if spec.MaxRetries != nil {
		r.MaxRetries = *spec.MaxRetries
	}
	if r.Category == "" {
		r.Category = executor.DefaultCategory
	}
	runAt := now.Add(time.Duration(spec.DelayMs) * time.Millisecond)
	if spec.RunAt != nil {
		runAt = *spec.RunAt
	}
	if runAt.After(now) {
		r.State, r.RunAt, r.QueuedAt = Scheduled, runAt, time.Time{}
	}
	return r
}
