package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/tasks"
)

// Errors of the Engine.
var (
	// ErrNotFound means no workflow has that id.
	ErrNotFound = errkind.ErrWorkflowNotFound
	// ErrConflict means the workflow's state does not allow the
	// operation.
	ErrConflict = fmt.Errorf("workflow: %w", errkind.ErrConflict)
)

// Store is what the Engine reads back: its side records and the tasks'
// records (internal/store implements it).
type Store interface {
	SideRecords(space string, prefix []byte, fn func(k, v []byte) error) error
	SideRecord(space string, key []byte) ([]byte, error)
	Task(id string) (tasks.Record, bool, error)
}

// Webhooks creates the endpoint that delivers a URL callback
// (events.Deliverer does).
type Webhooks interface {
	Create(ctx context.Context, ep events.Endpoint) (events.Endpoint, error)
	Delete(name string) error
}

// Config configures an Engine.
type Config struct {
	// Tasks is the task service the steps run in; the Engine installs
	// itself as its Outcomes hook.
	Tasks *tasks.Service
	Store Store
	// Resolve checks that a step's module exists (nil: not checked).
	Resolve Resolver
	// Webhooks, if set, delivers URL callbacks; without it a URL callback
	// is refused.
	Webhooks Webhooks
	// MaxSteps bounds a workflow's steps (0: DefaultMaxSteps).
	MaxSteps int
	Logger   *slog.Logger
}

// Engine runs workflows. Its methods are safe for concurrent use.
type Engine struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	runs   map[string]*run    // workflows with steps not finished
	byTask map[string]taskRef // task id → its step
	idem   map[string]string  // idempotency key → workflow id
	// recent are the last finished runs, for readers (recentOrder
	// oldest first); never changed.
	recent      map[string]*run
	recentOrder []string
	// stopping are tasks of finished workflows to cancel once the task
	// service runs (found at Load).
	stopping []string
}

// taskRef is the step (and map child, or -1) a task runs.
type taskRef struct {
	run   *run
	step  int
	child int
}

// New returns an Engine over cfg and installs it as the task service's
// Outcomes hook. Call Load before the task service starts.
func New(cfg Config) *Engine {
	if cfg.MaxSteps <= 0 {
		cfg.MaxSteps = DefaultMaxSteps
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, runs: map[string]*run{}, byTask: map[string]taskRef{}, idem: map[string]string{}, recent: map[string]*run{}}
	cfg.Tasks.SetOutcomes(e)
	return e
}

// Outcome implements tasks.Outcomes: a step's task ended.
func (e *Engine) Outcome(tx *tasks.Tx, rec *tasks.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ref, ok := e.byTask[rec.ID]
	if !ok {
		return nil
	}
	delete(e.byTask, rec.ID)
	c := e.change(tx, ref.run)
	if ref.child >= 0 {
		c.childFinished(ref.step, ref.child, rec)
	} else {
		c.stepFinished(ref.step, rec)
	}
	c.flush()
	return nil
}

// Submit validates d and commits the workflow with its first steps'
// tasks. If d's idempotency key names a workflow, Submit returns it with
// created false and commits nothing.
func (e *Engine) Submit(ctx context.Context, d Definition) (View, bool, error) {
	if id, ok := e.heldKey(d.IdempotencyKey); ok {
		v, err := e.Get(ctx, id)
		return v, false, err
	}
	g, err := validate(ctx, &d, e.cfg.MaxSteps, e.cfg.Resolve)
	if err != nil {
		return View{}, false, err
	}
	if d.Callback != nil && d.Callback.URL != "" && e.cfg.Webhooks == nil {
		return View{}, false, bad("callback: URL callbacks need the event log (--events)")
	}
	def, err := encodeDef(&d)
	if err != nil {
		return View{}, false, err
	}
	id := tasks.NewID()
	if d.Callback != nil && d.Callback.URL != "" {
		// The endpoint exists before the workflow does, so its event
		// cannot be published with nobody to deliver it.
		if err := e.createHook(ctx, id, d.Callback); err != nil {
			return View{}, false, err
		}
	}
	var r *run
	var held string
	err = e.cfg.Tasks.Transact(ctx, func(tx *tasks.Tx) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		if id, ok := e.idem[d.IdempotencyKey]; ok && d.IdempotencyKey != "" {
			held = id
			return errHeld
		}
		r = newRun(id, &d, g, tx.Now())
		tx.Put(tasks.SpaceWorkflowDefs, []byte(r.hdr.ID), def)
		c := e.change(tx, r)
		for i := range r.steps {
			c.dirty[i] = true
		}
		c.event(events.WorkflowSubmitted, -1)
		c.event(events.WorkflowStarted, -1)
		for i := range r.steps {
			c.maybeStart(i)
		}
		c.checkDone()
		c.flush()
		e.runs[r.hdr.ID] = r
		if d.IdempotencyKey != "" {
			e.idem[d.IdempotencyKey] = r.hdr.ID
		}
		tx.OnCommit(func(err error) {
			if err != nil {
				e.forget(r)
			}
		})
		return nil
	})
	if err != nil && d.Callback != nil && d.Callback.URL != "" {
		if derr := e.cfg.Webhooks.Delete(hookName(id)); derr != nil {
			e.log.Error("workflow: removing the callback's webhook", "workflow", id, "err", derr)
		}
	}
	if errors.Is(err, errHeld) {
		v, err := e.Get(ctx, held)
		return v, false, err
	}
	if err != nil {
		return View{}, false, err
	}
	e.mu.Lock()
	v := r.viewLocked()
	e.mu.Unlock()
	return v, true, nil
}

var errHeld = errors.New("workflow: idempotency key held")

// heldKey returns the workflow of key, if any.
func (e *Engine) heldKey(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.idem[key]
	return id, ok
}

// forget drops r, whose submission did not commit.
func (e *Engine) forget(r *run) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.runs, r.hdr.ID)
	if k := r.hdr.IdempotencyKey; k != "" && e.idem[k] == r.hdr.ID {
		delete(e.idem, k)
	}
	for id, ref := range e.byTask {
		if ref.run == r {
			delete(e.byTask, id)
		}
	}
}

// hookName is the webhook endpoint of workflow id's URL callback.
func hookName(id string) string { return "workflow-" + lower(id) }

// createHook creates the webhook endpoint that delivers workflow id's
// batch.callback_fired event to cb's URL, signed with its secret.
func (e *Engine) createHook(ctx context.Context, id string, cb *Callback) error {
	_, err := e.cfg.Webhooks.Create(ctx, events.Endpoint{
		Name: hookName(id), URL: cb.URL, Secret: cb.Secret, Types: []string{events.BatchCallbackFired},
		Workflow: id, Enabled: true,
	})
	if err != nil {
		return fmt.Errorf("callback url: %w", err)
	}
	return nil
}

// lower returns s in lower case (ids are upper-case base32; webhook
// names are lower case).
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// header returns workflow id's header: from memory if it runs, else the
// store.
func (e *Engine) header(id string) (Header, *run, error) {
	e.mu.Lock()
	if r, ok := e.runs[id]; ok {
		h := r.hdr
		h.Counts = cloneCounts(h.Counts)
		e.mu.Unlock()
		return h, r, nil
	}
	e.mu.Unlock()
	b, err := e.cfg.Store.SideRecord(tasks.SpaceWorkflows, []byte(id))
	if err != nil {
		return Header{}, nil, err
	}
	if b == nil {
		return Header{}, nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	var h Header
	if err := json.Unmarshal(b, &h); err != nil {
		return h, nil, fmt.Errorf("workflow: decoding %s: %w", id, err)
	}
	return h, nil, nil
}

func cloneCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// Filter selects workflows for List; zero fields match all.
type Filter struct {
	State, Name, Tag string
}

// List returns the headers of the workflows matching f, newest first, at
// most limit.
func (e *Engine) List(f Filter, limit int) ([]Header, error) {
	var out []Header
	err := e.cfg.Store.SideRecords(tasks.SpaceWorkflows, nil, func(k, v []byte) error {
		var h Header
		if err := json.Unmarshal(v, &h); err != nil {
			return nil // damaged: not listed
		}
		if f.State != "" && h.State != f.State || f.Name != "" && h.Name != f.Name || f.Tag != "" && !slices.Contains(h.Tags, f.Tag) {
			return nil
		}
		out = append(out, h)
		return nil
	})
	slices.Reverse(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}
