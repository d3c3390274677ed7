package workflow

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/nexustask/nexus/internal/tasks"
)

// recount sets what a run derives from its steps' states: how many
// dependencies each pending step waits for, the readers of each output,
// the active steps.
func (r *run) recount() {
	r.active = 0
	for i := range r.steps {
		st := &r.steps[i]
		st.waiting = 0
		for _, j := range r.g.deps[i] {
			if !r.allows(j) {
				st.waiting++
			}
		}
		if !terminalStep(st.rec.State) && st.rec.State != StepPending {
			r.active++
		}
	}
	r.countReaders()
}

// allows reports whether finished step j lets its dependents run.
func (r *run) allows(j int) bool {
	s := r.steps[j].rec.State
	switch {
	case s == string(tasks.Succeeded):
		return true
	case terminalStep(s) && s != StepSkipped:
		return r.policy(j) == OnFailureContinue
	}
	return false
}

// Load reads the workflows with steps not finished into memory. Call it
// once, before the task service starts; then Started once it has.
func (e *Engine) Load(ctx context.Context) error {
	var ids []string
	err := e.cfg.Store.SideRecords(tasks.SpaceWorkflows, nil, func(k, v []byte) error {
		var h Header
		if err := json.Unmarshal(v, &h); err != nil {
			e.log.Error("workflow: a damaged workflow record is skipped", "workflow", string(k), "err", err)
			return nil
		}
		if h.IdempotencyKey != "" {
			e.idem[h.IdempotencyKey] = h.ID
		}
		if !terminalWorkflow(h.State) || h.Counts[string(tasks.Queued)]+h.Counts[string(tasks.Running)] > 0 {
			ids = append(ids, h.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range ids {
		r, err := e.loadLocked(id)
		if err != nil {
			e.log.Error("workflow: loading", "workflow", id, "err", err)
			continue
		}
		if terminalWorkflow(r.hdr.State) {
			for tid, ref := range e.byTask {
				if ref.run == r {
					e.stopping = append(e.stopping, tid)
				}
			}
		}
	}
	return nil
}

// Started cancels the tasks that finished workflows left running when
// the process stopped. Call it once the task service has started.
func (e *Engine) Started() {
	e.mu.Lock()
	ids := e.stopping
	e.stopping = nil
	e.mu.Unlock()
	if len(ids) > 0 {
		go e.cancelTasks(ids)
	}
}

// loadLocked reads workflow id from the store into memory.
func (e *Engine) loadLocked(id string) (*run, error) {
	r, err := e.readRun(id)
	if err != nil {
		return nil, err
	}
	e.register(r)
	return r, nil
}

// register puts r in memory, with its unfinished tasks.
func (e *Engine) register(r *run) {
	for i := range r.steps {
		st := &r.steps[i]
		switch {
		case st.kids != nil:
			for k, tid := range st.rec.Children {
				if st.kids[k].state == "" {
					e.byTask[tid] = taskRef{run: r, step: i, child: k}
				}
			}
		case !terminalStep(st.rec.State) && st.rec.Task != "":
			e.byTask[st.rec.Task] = taskRef{run: r, step: i, child: -1}
		}
	}
	e.runs[r.hdr.ID] = r
}

// recentRuns bounds the finished runs kept for readers.
const recentRuns = 64

// remember keeps finished run r for readers (GET, result) for a while.
// Called with e.mu held.
func (e *Engine) rememberLocked(r *run) {
	if _, ok := e.recent[r.hdr.ID]; !ok {
		e.recentOrder = append(e.recentOrder, r.hdr.ID)
	}
	e.recent[r.hdr.ID] = r
	for len(e.recentOrder) > recentRuns {
		delete(e.recent, e.recentOrder[0])
		e.recentOrder = e.recentOrder[1:]
	}
}

// readRun reads workflow id from the store, without putting it in
// memory: a copy, which the caller may change.
func (e *Engine) readRun(id string) (*run, error) { return e.loadRun(id) }

// cachedRun returns the finished run of id kept for readers, or reads
// it. Its result must not be changed.
func (e *Engine) cachedRun(id string) (*run, error) {
	e.mu.Lock()
	r, ok := e.recent[id]
	e.mu.Unlock()
	if ok {
		return r, nil
	}
	return e.loadRun(id)
}

// loadRun reads workflow id from the store.
func (e *Engine) loadRun(id string) (*run, error) {
	hb, err := e.cfg.Store.SideRecord(tasks.SpaceWorkflows, []byte(id))
	if err != nil {
		return nil, err
	}
	if hb == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	db, err := e.cfg.Store.SideRecord(tasks.SpaceWorkflowDefs, []byte(id))
	if err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fmt.Errorf("workflow: %s has no definition", id)
	}
	d, err := decodeDef(db)
	if err != nil {
		return nil, err
	}
	g, err := validate(context.Background(), d, len(d.Steps), nil)
	if err != nil {
		return nil, err
	}
	r := &run{def: d, g: g, steps: make([]stepRT, len(d.Steps)), done: make(chan struct{})}
	if err := json.Unmarshal(hb, &r.hdr); err != nil {
		return nil, err
	}
	if r.hdr.Counts == nil {
		r.hdr.Counts = map[string]int{}
	}
	prefix := append([]byte(id), '/')
	err = e.cfg.Store.SideRecords(tasks.SpaceWorkflowSteps, prefix, func(k, v []byte) error {
		k = bytes.TrimPrefix(k, prefix)
		if len(k) != 4 {
			return nil
		}
		i := int(binary.BigEndian.Uint32(k))
		if i >= len(r.steps) {
			return nil
		}
		return json.Unmarshal(v, &r.steps[i].rec)
	})
	if err != nil {
		return nil, err
	}
	if terminalWorkflow(r.hdr.State) {
		close(r.done)
	}
	r.recount()
	for i := range r.steps {
		st := &r.steps[i]
		if st.rec.Children != nil && st.rec.State == string(tasks.Running) {
			if err := e.loadKids(r, i); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// loadKids reads map step i's children's outcomes from their tasks.
func (e *Engine) loadKids(r *run, i int) error {
	st := &r.steps[i]
	st.kids = make([]kid, len(st.rec.Children))
	st.kidsLeft = 0
	for k, tid := range st.rec.Children {
		rec, ok, err := e.cfg.Store.Task(tid)
		if err != nil {
			return err
		}
		if ok && rec.State.Terminal() {
			st.kids[k] = kid{state: string(rec.State), out: rec.Output, code: rec.ErrorCode, message: rec.ErrorMessage}
			continue
		}
		st.kidsLeft++
	}
	return nil
}

// reload drops workflow id from memory and reads it again: a
// transaction that changed it did not commit.
func (e *Engine) reload(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.runs[id]; ok {
		for tid, ref := range e.byTask {
			if ref.run == r {
				delete(e.byTask, tid)
			}
		}
		delete(e.runs, id)
	}
	if _, err := e.loadLocked(id); err != nil {
		e.log.Error("workflow: reloading after a failed commit", "workflow", id, "err", err)
	}
}
