package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Manager owns the schedules: it creates, pauses, resumes and deletes
// them, and runs each one's goroutine. It is safe for concurrent use.
type Manager struct {
	st    Store
	sub   Submitter
	cfg   Config
	log   *slog.Logger
	clock Clock
	saver *saver

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	runners map[string]*runner // guarded by mu
	started bool               // guarded by mu
	closed  bool               // guarded by mu
}

// New returns a Manager over st submitting through sub. It fires nothing
// until Start.
func New(st Store, sub Submitter, cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		st: st, sub: sub, cfg: cfg, log: cfg.Logger, clock: cfg.Clock, saver: newSaver(st, cfg.KeepRuns),
		ctx: ctx, cancel: cancel, runners: map[string]*runner{},
	}, nil
}

// Start loads the stored schedules and starts firing them. Due times that
// passed while no Manager ran are handled by each schedule's catch-up
// policy; a firing interrupted by a crash is completed first.
func (m *Manager) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.started {
		return fmt.Errorf("schedule: manager already started")
	}
	start := m.clock.Now()
	all, err := m.st.Schedules()
	if err != nil {
		return err
	}
	for _, s := range all {
		tt, err := s.Spec.normalize(0, start)
		if err != nil {
			m.log.Error("schedule: cannot load; left alone", "schedule", s.Name, "err", err)
			continue
		}
		m.spawnLocked(s, tt, start)
	}
	m.started = true
	m.log.Info("schedules loaded", "schedules", len(m.runners), "load_time", m.clock.Now().Sub(start))
	return nil
}

// Close stops every schedule's goroutine and waits for them. A submission
// in progress is abandoned and completed by the next Start.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	m.saver.close()
}

// spawnLocked starts s's goroutine. catchUpBefore is the start time for a
// loaded schedule (due times before it were missed) and zero for a new one.
func (m *Manager) spawnLocked(s Schedule, tt timetable, catchUpBefore time.Time) {
	r := &runner{m: m, name: s.Name, s: s, tt: tt, catchUpBefore: catchUpBefore,
		reqs: make(chan request), done: make(chan struct{}), finished: make(chan struct{}, 1),
		wake: make(chan struct{}, 1)}
	m.runners[s.Name] = r
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		r.run(m.ctx)
	}()
}

// Create validates spec and stores and starts the new schedule. Errors
// wrap ErrInvalid, ErrExists or ErrClosed, or come from
// Config.ValidateTemplate.
func (m *Manager) Create(spec Spec) (Schedule, error) {
	now := m.clock.Now().UTC()
	tt, err := spec.normalize(m.cfg.MinEvery, now)
	if err != nil {
		return Schedule{}, err
	}
	if m.cfg.ValidateTemplate != nil {
		if err := m.cfg.ValidateTemplate(spec.Task); err != nil {
			return Schedule{}, err
		}
	}
	s := Schedule{Spec: spec, CreatedAt: now, NextDue: tt.next(now)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || !m.started {
		return Schedule{}, ErrClosed
	}
	if err := m.st.CreateSchedule(s); err != nil {
		return Schedule{}, err
	}
	m.spawnLocked(s, tt, time.Time{})
	m.log.Info("schedule created", "schedule", s.Name, "cron", s.Cron, "every", s.Every, "next_due", s.NextDue)
	return s, nil
}

// List returns every schedule, by name.
func (m *Manager) List() ([]Schedule, error) { return m.st.Schedules() }

// Get returns a schedule and its last runs (at most limit, newest first).
// A fired run's outcome is reported as running or finished from its
// task's state.
func (m *Manager) Get(ctx context.Context, name string, limit int) (Schedule, []Run, error) {
	s, err := m.st.Schedule(name)
	if err != nil {
		return Schedule{}, nil, err
	}
	runs, err := m.st.Runs(name, limit)
	if err != nil {
		return Schedule{}, nil, err
	}
	for i, r := range runs {
		if r.Outcome != OutcomeSubmitted {
			continue
		}
		if done, err := m.sub.Done(ctx, r.TaskID); err == nil {
			runs[i].Outcome = OutcomeRunning
			if done {
				runs[i].Outcome = OutcomeFinished
			}
		}
	}
	return s, runs, nil
}

// Pause stops a schedule firing until Resume. A buffered due time is
// dropped (recorded as skipped).
func (m *Manager) Pause(name string) (Schedule, error) {
	return m.do(name, (*runner).pause)
}

// Resume lets a paused schedule fire again, from its first due time after
// now: due times that passed while it was paused do not fire.
func (m *Manager) Resume(name string) (Schedule, error) {
	return m.do(name, (*runner).resume)
}

// Delete removes a schedule and its runs; it fires nothing once Delete
// has returned. Tasks already submitted are not touched.
func (m *Manager) Delete(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runners[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if _, err := r.call(m.ctx, (*runner).delete); err != nil {
		return err
	}
	delete(m.runners, name)
	m.log.Info("schedule deleted", "schedule", name)
	return nil
}

// do runs op in name's goroutine.
func (m *Manager) do(name string, op func(*runner) (Schedule, bool, error)) (Schedule, error) {
	m.mu.Lock()
	r, ok := m.runners[name]
	m.mu.Unlock()
	if !ok {
		return Schedule{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return r.call(m.ctx, op)
}
