package tasks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/executor"
)

// Submit validates spec, pins its module version and commits a new task
// durably (synced to disk) before it returns it with created true. If the
// spec's idempotency key names a task kept within the retention window,
// Submit returns that task with created false and commits nothing.
func (s *Service) Submit(ctx context.Context, spec Spec) (rec Record, created bool, err error) {
	p, rec, err := s.prepare(ctx, spec, true)
	if p == nil {
		return rec, false, err
	}
	err = s.commit.commit(Write{Rec: p.r})
	rec, created, err = s.settle(p, err)
	if kh := keyHeld(err); kh != nil {
		return s.heldTask(ctx, kh)
	}
	return rec, created, err
}

// heldTask answers a submission whose key the store says another task
// holds (another process took it first): that task, not created.
func (s *Service) heldTask(ctx context.Context, kh *KeyHeldError) (Record, bool, error) {
	rec, err := s.Get(ctx, kh.HeldBy)
	return rec, false, err
}

// Submitted is the answer to one spec of SubmitMany.
type Submitted struct {
	Record  Record
	Created bool
	Err     error
}

// SubmitMany submits specs as Submit does each, committing all the new
// tasks in one write, synced once, before it returns; each answer says
// what became of its spec. Specs that share an idempotency key with an
// earlier one, in the list or in flight elsewhere, answer with that task.
func (s *Service) SubmitMany(ctx context.Context, specs []Spec) []Submitted {
	out := make([]Submitted, len(specs))
	var (
		ps    []*pendingTask
		at    []int // index in specs of each of ps
		later []int // specs whose key another submission holds
	)
	for i, spec := range specs {
		p, rec, err := s.prepare(ctx, spec, false)
		switch {
		case p != nil:
			ps, at = append(ps, p), append(at, i)
		case err == errKeyInFlight:
			later = append(later, i)
		default:
			out[i] = Submitted{Record: rec, Err: err}
		}
	}
	for len(ps) > 0 {
		ws := make([]Write, len(ps))
		for k, p := range ps {
			ws[k] = Write{Rec: p.r}
		}
		err := s.commit.commit(ws...)
		if kh := keyHeld(err); kh != nil {
			// The store refused the list for one key another process
			// holds: answer that spec with the holder, commit the rest.
			k := slices.IndexFunc(ps, func(p *pendingTask) bool { return p.r.ID == kh.Task })
			if k >= 0 {
				s.settle(ps[k], err)
				rec, _, err := s.heldTask(ctx, kh)
				out[at[k]] = Submitted{Record: rec, Err: err}
				ps, at = slices.Delete(ps, k, k+1), slices.Delete(at, k, k+1)
				continue
			}
		}
		for k, p := range ps {
			rec, created, err := s.settle(p, err)
			out[at[k]] = Submitted{Record: rec, Created: created, Err: err}
		}
		break
	}
	// Only now, with this list's own tasks settled, wait for the other
	// submissions holding a key: two lists naming each other's keys would
	// otherwise wait for each other.
	for _, i := range later {
		rec, err := s.keyHolder(ctx, specs[i].IdempotencyKey)
		out[i] = Submitted{Record: rec, Err: err}
	}
	return out
}

// pendingTask is a new task registered but not yet committed.
type pendingTask struct {
	e *entry
	r *Record
}

// errKeyInFlight: the spec's idempotency key belongs to a submission not
// yet committed, which prepare was told not to wait for.
var errKeyInFlight = errors.New("tasks: idempotency key in flight")

// prepare validates spec and registers its new task, uncommitted. It
// returns a nil *pendingTask with the answer when there is nothing to
// commit: the existing task of the spec's idempotency key, or an error.
// If wait is false it does not wait for a submission of the same key in
// flight and answers errKeyInFlight instead.
func (s *Service) prepare(ctx context.Context, spec Spec, wait bool) (*pendingTask, Record, error) {
	if err := spec.Validate(); err != nil {
		return nil, Record{}, err
	}
	if rec, ok, err := s.existingWait(ctx, spec.IdempotencyKey, wait); ok || err != nil {
		return nil, rec, err
	}
	v, _, err := s.runner.Registry.Resolve(ctx, spec.Module, spec.Version)
	if err != nil {
		return nil, Record{}, err
	}
	if spec.CacheTTLMs > 0 {
		if err := checkCacheable(v); err != nil {
			return nil, Record{}, err
		}
	}
	// A memory quota no attempt could ever start with is refused now.
	if err := s.runner.Exec.CheckMemory(spec.MemoryBytes); err != nil {
		return nil, Record{}, err
	}
	pinned, err := PinMounts(s.cfg.Bundles, spec.Mounts)
	if err != nil {
		return nil, Record{}, err
	}
	now := s.clock.Now()
	r := s.newRecord(spec, now)
	r.Version = v.Version
	r.Mounts = pinned

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, Record{}, ErrClosed
	}
	if key := spec.IdempotencyKey; key != "" {
		if _, taken := s.idem[key]; taken { // lost a race with the same key
			s.mu.Unlock()
			if !wait {
				return nil, Record{}, errKeyInFlight
			}
			rec, err := s.keyHolder(ctx, key)
			return nil, rec, err
		}
		s.idem[key] = r.ID
	}
	e := &entry{rec: r, last: &r, committed: make(chan struct{}), index: -1}
	s.active[r.ID] = e
	s.mu.Unlock()
	return &pendingTask{e: e, r: &r}, Record{}, nil
}

// settle finishes a prepared submission once its commit returned err:
// the task is queued (or scheduled) if it is durable, forgotten if not.
func (s *Service) settle(p *pendingTask, err error) (Record, bool, error) {
	return s.settleShed(p, err, true)
}

// settleShed is settle; shed false keeps a large input in memory, for a
// task queued before its record is durable (its attempt cannot read the
// input from the store yet).
func (s *Service) settleShed(p *pendingTask, err error, shed bool) (Record, bool, error) {
	r, e := p.r, p.e
	s.mu.Lock()
	defer s.mu.Unlock()
	e.err = err
	close(e.committed)
	if kh := keyHeld(err); kh != nil {
		// The store decides: another task holds the key. The cache
		// learns it.
		delete(s.active, r.ID)
		s.idem[kh.Key] = kh.HeldBy
		return Record{}, false, err
	}
	if err != nil {
		delete(s.active, r.ID)
		if r.IdempotencyKey != "" {
			delete(s.idem, r.IdempotencyKey)
		}
		// The disk refused the commit: nothing was accepted; the client
		// may try again (503 with Retry-After).
		return Record{}, false, fmt.Errorf("%w: committing task %s: %v", errkind.ErrUnavailable, r.ID, err)
	}
	s.count.submitted.Add(1)
	out := r.clone()
	if shed {
		e.shedInput()
	}
	if !s.closed {
		s.enqueueLocked(e, s.clock.Now())
	}
	return out, true, nil
}

// keyHolder returns the task a concurrent submission with key created,
// once it is committed, or ErrConflict if that submission failed.
func (s *Service) keyHolder(ctx context.Context, key string) (Record, error) {
	rec, ok, err := s.existing(ctx, key)
	if !ok && err == nil {
		err = fmt.Errorf("%w: a concurrent submission with idempotency key %q failed", ErrConflict, key)
	}
	return rec, err
}

// existing returns the task of an idempotency key, waiting for its
// submission to commit if it is under way.
func (s *Service) existing(ctx context.Context, key string) (Record, bool, error) {
	return s.existingWait(ctx, key, true)
}

// existingWait is existing; if wait is false, a submission under way is
// not waited for and the answer is errKeyInFlight.
func (s *Service) existingWait(ctx context.Context, key string, wait bool) (Record, bool, error) {
	if key == "" {
		return Record{}, false, nil
	}
	for {
		s.mu.Lock()
		id, ok := s.idem[key]
		e := s.active[id]
		s.mu.Unlock()
		if !ok {
			return Record{}, false, nil
		}
		if e != nil {
			if !wait {
				select {
				case <-e.committed:
				default:
					return Record{}, false, errKeyInFlight
				}
			}
			select {
			case <-e.committed:
			case <-ctx.Done():
				return Record{}, false, context.Cause(ctx)
			}
			if keyHeld(e.err) != nil {
				// The store gave the key to a task of another process
				// meanwhile; settle pointed the cache at it: look again.
				continue
			}
			if e.err != nil { // the first submission failed: this one may try
				return Record{}, false, nil
			}
		}
		rec, err := s.Get(ctx, id)
		return rec, err == nil, err
	}
}

// newRecord builds the record of a new task from spec.
func (s *Service) newRecord(spec Spec, now time.Time) Record {
	r := Record{
		ID:             newID(now),
		Module:         spec.Module,
		Priority:       DefaultPriority,
		Category:       spec.Category,
		Tags:           append([]string(nil), spec.Tags...),
		IdempotencyKey: spec.IdempotencyKey,
		Fuel:           spec.Fuel,
		MemoryBytes:    spec.MemoryBytes,
		TimeoutMs:      spec.TimeoutMs,
		QueueTimeoutMs: spec.QueueTimeoutMs,
		MaxRetries:     s.cfg.DefaultMaxRetries,
		CacheTTLMs:     spec.CacheTTLMs,
		Config:         spec.Config,
		SubmittedAt:    now,
		QueuedAt:       now,
		Input:          append([]byte(nil), spec.Input...),
		InputBytes:     len(spec.Input),
		TraceParent:    spec.TraceParent,
		TraceState:     spec.TraceState,
	}
	if spec.id != "" {
		r.ID = spec.id
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
		r.moveTo(Scheduled)
		r.RunAt, r.QueuedAt = runAt, time.Time{}
	} else {
		r.moveTo(Queued)
	}
	return r
}
