package tasks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/telemetry"
)

// ChildID returns the id of the child task that the spawn number seq (0,
// 1, 2 …) of task parent creates: the parent's first 12 hex digits (its
// creation time, so children sort with their parent) and 20 of the
// SHA-256 of "parent/seq". Every attempt of the parent derives the same
// ids, so a parent retried after a crash finds its children again instead
// of creating new ones.
func ChildID(parent string, seq int) string {
	sum := sha256.Sum256([]byte(parent + "/" + strconv.Itoa(seq)))
	prefix := parent
	if len(prefix) > 12 {
		prefix = prefix[:12]
	}
	return prefix + hex.EncodeToString(sum[:])[:32-len(prefix)]
}

// SpawnOptions are the options a guest passes to task_spawn, a JSON
// object; every field is optional. Priority and Category default to the
// parent's, the others to a submitted task's defaults.
type SpawnOptions struct {
	// Priority and Category, if set, replace the parent's.
	Priority *int   `json:"priority,omitempty"`
	Category string `json:"category,omitempty"`
	// Fuel, MemoryBytes, TimeoutMs, MaxRetries, Tags and Config are a
	// submitted task's fields of the same names (Spec).
	Fuel        int64             `json:"fuel,omitempty"`
	MemoryBytes int64             `json:"memory_bytes,omitempty"`
	TimeoutMs   int64             `json:"timeout_ms,omitempty"`
	MaxRetries  *int              `json:"max_retries,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Config      map[string]string `json:"config,omitempty"`
}

// childSpec builds the Spec of a child: module is "NAME" or
// "NAME@VERSION", options a SpawnOptions object or empty. Errors wrap
// errkind.ErrInvalidRequest.
func childSpec(module string, input, options []byte, priority int, category string) (Spec, error) {
	spec := Spec{Module: module, Input: input, Priority: &priority, Category: category}
	if name, v, ok := strings.Cut(module, "@"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return spec, fmt.Errorf("%w: task_spawn: version %q of module %q", errkind.ErrInvalidRequest, v, name)
		}
		spec.Module, spec.Version = name, n
	}
	if len(options) > 0 {
		var o SpawnOptions
		dec := json.NewDecoder(bytes.NewReader(options))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return spec, fmt.Errorf("%w: task_spawn options: %v", errkind.ErrInvalidRequest, err)
		}
		if o.Priority != nil {
			spec.Priority = o.Priority
		}
		if o.Category != "" {
			spec.Category = o.Category
		}
		spec.Fuel, spec.MemoryBytes, spec.TimeoutMs = o.Fuel, o.MemoryBytes, o.TimeoutMs
		spec.MaxRetries, spec.Tags, spec.Config = o.MaxRetries, o.Tags, o.Config
	}
	return spec, spec.Validate()
}

// Spawner returns the host.Spawner of a run of task parent that no
// earlier run shares the id of (a synchronous invoke): its children are
// durable tasks of s, with ids ChildID(parent, seq), priority and category
// those given unless the spawn's options say otherwise. A Spawner serves
// one run.
func (s *Service) Spawner(parent string, priority int, category string) host.Spawner {
	return &spawner{s: s, parent: parent, priority: priority, category: category}
}

// attemptSpawner is the Spawner of an attempt of rec: a retried attempt
// (one that is not the task's first) looks for children an earlier
// attempt spawned in the store too.
func (s *Service) attemptSpawner(rec *Record) host.Spawner {
	return &spawner{s: s, parent: rec.ID, priority: rec.Priority, category: rec.Category, retry: rec.Attempts > 1,
		traceparent: rec.TraceParent, tracestate: rec.TraceState}
}

// spawner is one run's host.Spawner.
//
// Spawns are pipelined: task_spawn queues the child's creation in the
// group commit and returns at once; a goroutine per child waits for the
// commit and queues the child to run. Every await first waits for all
// those commits, so a parent sees only durable children, and the parent's
// own outcome, queued after them in the same committer, cannot be durable
// before they are (groups commit in order).
type spawner struct {
	s        *Service
	parent   string
	priority int
	category string
	retry    bool     // earlier runs may have spawned children
	ids      []string // by spawn number
	// traceparent and tracestate are the parent's trace context, which
	// its children keep (for an invoke, the run's context has it).
	traceparent, tracestate string

	pending sync.WaitGroup // creations being committed
	mu      sync.Mutex
	lost    map[int]error // spawn numbers whose creation failed to commit
}

// Spawn implements host.Spawner.
func (p *spawner) Spawn(ctx context.Context, seq int, module string, input, options []byte) int32 {
	if seq != len(p.ids) {
		return abi.ErrInternal // the host numbers spawns from 0, one at a time
	}
	spec, err := childSpec(module, input, options, p.priority, p.category)
	spec.TraceParent, spec.TraceState = p.traceparent, p.tracestate
	if spec.TraceParent == "" {
		spec.TraceParent, spec.TraceState = telemetry.TraceParent(ctx)
	}
	if err == nil {
		id := ChildID(p.parent, seq)
		if err = p.submit(ctx, seq, id, spec); err == nil {
			p.ids = append(p.ids, id)
			return 0
		}
	}
	switch {
	case errors.Is(err, errkind.ErrModuleNotFound):
		return abi.ErrNotFound
	case errors.Is(err, errkind.ErrInvalidRequest):
		return abi.ErrInvalid
	case errors.Is(err, errkind.ErrTooLarge):
		return abi.ErrLimit
	}
	p.s.log.Error("task: spawning a child", "task", p.parent, "seq", seq, "err", err)
	return abi.ErrInternal
}

// submit queues the creation of child seq, id, of spec unless it exists
// (an earlier attempt of the parent spawned it), and returns without
// waiting for the commit (see spawner).
func (p *spawner) submit(ctx context.Context, seq int, id string, spec Spec) error {
	s := p.s
	s.mu.Lock()
	_, active := s.active[id]
	s.mu.Unlock()
	if active {
		return nil
	}
	if p.retry {
		if _, found, err := s.store.Task(id); err != nil || found {
			return err
		}
	}
	spec.id = id
	pt, _, err := s.prepare(ctx, spec, true)
	if pt == nil {
		return err
	}
	done, err := s.commit.commitLater(Write{Rec: pt.r})
	if err != nil {
		s.settle(pt, err)
		return err
	}
	p.pending.Add(1)
	go func() {
		defer p.pending.Done()
		cerr := <-done
		if _, _, err := s.settle(pt, cerr); err != nil && !errors.Is(cerr, ErrStale) {
			// ErrStale: another writer created the child first.
			s.log.Error("task: committing a spawned child", "task", p.parent, "child", id, "err", err)
			p.mu.Lock()
			if p.lost == nil {
				p.lost = map[int]error{}
			}
			p.lost[seq] = err
			p.mu.Unlock()
		}
	}()
	return nil
}

// lookup returns the record of id from memory if it is active, else from
// the store, and whether it exists.
func (s *Service) lookup(id string) (Record, bool, error) {
	s.mu.Lock()
	if e, ok := s.active[id]; ok && e.isCommitted() {
		r := s.viewLocked(e)
		s.mu.Unlock()
		return r, true, nil
	}
	s.mu.Unlock()
	return s.store.Task(id)
}

// Await implements host.Spawner.
func (p *spawner) Await(ctx context.Context, seqs []int, park func(func(context.Context) error) error) (int, []byte, int32, error) {
	ids := make([]string, len(seqs))
	for i, seq := range seqs {
		if seq < 0 || seq >= len(p.ids) {
			return 0, nil, abi.ErrNotFound, nil
		}
		ids[i] = p.ids[seq]
	}
	p.pending.Wait()
	p.mu.Lock()
	for i, seq := range seqs {
		if p.lost[seq] != nil {
			p.mu.Unlock()
			return i, nil, abi.ErrInternal, nil
		}
	}
	p.mu.Unlock()
	if i, rec, code := p.s.firstDone(ids); i >= 0 || code != 0 {
		return i, rec.Output, code, nil
	}
	if !p.s.enterAwaiting() {
		return 0, nil, abi.ErrLimit, nil
	}
	defer p.s.leaveAwaiting()
	var (
		i    int
		rec  Record
		code int32
	)
	err := park(func(ctx context.Context) error {
		var err error
		i, rec, code, err = p.s.waitAny(ctx, ids)
		return err
	})
	if err != nil {
		return 0, nil, 0, err
	}
	return i, rec.Output, code, nil
}

// awaitCode is the task_await result code of a terminal child record.
func awaitCode(r Record) int32 {
	if r.State == Succeeded {
		return 0
	}
	return abi.ErrFailed
}

// firstDone returns the index in ids of the first terminal child, its
// record and its code, or -1 if none is terminal (code ERR_INTERNAL if a
// child could not be read).
func (s *Service) firstDone(ids []string) (int, Record, int32) {
	for i, id := range ids {
		r, found, err := s.lookup(id)
		switch {
		case err != nil:
			s.log.Error("task: reading a child", "task", id, "err", err)
			return 0, Record{}, abi.ErrInternal
		case !found:
			// Deleted past its retention: its result is gone.
			return i, Record{}, abi.ErrFailed
		case r.State.Terminal():
			return i, r, awaitCode(r)
		}
	}
	return -1, Record{}, 0
}

// waitAny waits until one of ids is terminal and returns as firstDone
// does, or ctx's cause.
func (s *Service) waitAny(ctx context.Context, ids []string) (int, Record, int32, error) {
	if len(ids) == 1 {
		r, err := s.Wait(ctx, ids[0])
		if err != nil {
			return 0, Record{}, 0, err
		}
		if !r.State.Terminal() {
			return 0, Record{}, 0, context.Cause(ctx)
		}
		return 0, r, awaitCode(r), nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	first := make(chan int, 1)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := s.Wait(wctx, id); err == nil && r.State.Terminal() {
				select {
				case first <- i:
				default:
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	select {
	case <-first:
	default:
		return 0, Record{}, 0, context.Cause(ctx)
	}
	// The lowest index among those finished by now, as firstDone says.
	i, r, code := s.firstDone(ids)
	if i < 0 && code == 0 {
		return 0, Record{}, abi.ErrInternal, nil
	}
	return i, r, code, nil
}

// enterAwaiting counts one more parked parent, if Config.MaxAwaiting
// allows, and gives its in-flight slot to the next ready task: a parent
// waiting for its children must not keep them from starting.
func (s *Service) enterAwaiting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.awaiting >= s.cfg.MaxAwaiting {
		return false
	}
	s.awaiting++
	s.inFlight--
	s.dispatchLocked()
	return true
}

// leaveAwaiting takes back the slot enterAwaiting gave (the in-flight
// count may pass MaxInFlight until attempts end).
func (s *Service) leaveAwaiting() {
	s.mu.Lock()
	s.awaiting--
	s.inFlight++
	s.mu.Unlock()
}

// Awaiting returns the number of tasks parked in task_await or
// task_await_any at this moment.
func (s *Service) Awaiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.awaiting
}

// Park passes a parent's wait for its children to the executor, so that
// the attempt gives its worker token back (executor.Parker).
func (r resumeYielder) Park(ctx context.Context, wait func(context.Context) error) error {
	if p, ok := r.y.(executor.Parker); ok {
		return p.Park(ctx, wait)
	}
	return wait(ctx)
}
