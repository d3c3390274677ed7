package workflow

import (
	"context"

	"github.com/nexustask/nexus/internal/tasks"
)

// View is a workflow as GET /v1/workflows/{id} shows it: its header
// with counts by step state, and each step's state and task.
type View struct {
	Header
	Steps []StepView `json:"steps"`
}

// StepView is one step of a View.
type StepView struct {
	ID           string   `json:"id"`
	State        string   `json:"state"`
	TaskID       string   `json:"task_id,omitempty"`
	Module       string   `json:"module,omitempty"`
	Group        string   `json:"group,omitempty"`
	DependsOn    []string `json:"depends_on,omitempty"`
	InputFrom    []string `json:"input_from,omitempty"`
	OnFailure    string   `json:"on_failure,omitempty"`
	Attempt      int      `json:"attempt,omitempty"`
	ErrorCode    string   `json:"error_code,omitempty"`
	ErrorMessage string   `json:"error_message,omitempty"`
	// Children are a map step's tasks, in element order.
	Children []string `json:"children,omitempty"`
}

// Get returns workflow id, each unfinished step's state as its task has
// it now (scheduled, queued or running).
func (e *Engine) Get(ctx context.Context, id string) (View, error) {
	e.mu.Lock()
	r, ok := e.runs[id]
	var v View
	if ok {
		v = r.viewLocked()
	}
	e.mu.Unlock()
	if !ok {
		var err error
		if v, err = e.stored(id); err != nil {
			return v, err
		}
	}
	counts := map[string]int{}
	for i := range v.Steps {
		sv := &v.Steps[i]
		if sv.State == string(tasks.Queued) && sv.TaskID != "" {
			if rec, err := e.cfg.Tasks.Get(ctx, sv.TaskID); err == nil && !rec.State.Terminal() {
				sv.State = string(rec.State)
			}
		}
		counts[sv.State]++
	}
	v.Counts = counts
	return v, nil
}

// viewLocked is r's view from memory.
func (r *run) viewLocked() View {
	v := View{Header: r.hdr, Steps: make([]StepView, len(r.steps))}
	v.Counts = cloneCounts(r.hdr.Counts)
	for i := range r.steps {
		v.Steps[i] = stepView(&r.def.Steps[i], &r.steps[i].rec)
	}
	return v
}

func stepView(d *Step, rec *stepRec) StepView {
	sv := StepView{
		ID: d.ID, State: rec.State, TaskID: rec.Task, Module: d.Spec.Module, Group: d.Group,
		DependsOn: d.DependsOn, InputFrom: d.InputFrom, OnFailure: d.OnFailure, Attempt: rec.Attempt,
		ErrorCode: rec.ErrorCode, ErrorMessage: rec.ErrorMessage, Children: rec.Children,
	}
	if d.Map != nil {
		sv.Module = d.Map.Module
	}
	return sv
}

// stored reads a finished workflow's view from the store.
func (e *Engine) stored(id string) (View, error) {
	r, err := e.cachedRun(id)
	if err != nil {
		return View{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return r.viewLocked(), nil
}

// Result returns a finished workflow's result: a batch's summary, else
// the output of its one last step (the step no other depends on) or, if
// several, their envelope. ok is false while it runs.
func (e *Engine) Result(ctx context.Context, id string) (v View, out []byte, ok bool, err error) {
	e.mu.Lock()
	r, loaded := e.runs[id]
	if loaded && !terminalWorkflow(r.hdr.State) {
		e.mu.Unlock()
		v, err = e.Get(ctx, id)
		return v, nil, false, err
	}
	var done chan struct{}
	if loaded {
		done = r.done
	}
	e.mu.Unlock()
	if done != nil {
		// Finished in memory: the outputs are read from the store once
		// the final transaction is durable.
		select {
		case <-done:
		case <-ctx.Done():
			return v, nil, false, context.Cause(ctx)
		}
	}
	if !loaded {
		if r, err = e.cachedRun(id); err != nil {
			return v, nil, false, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	v = r.viewLocked()
	if !terminalWorkflow(r.hdr.State) { // retried meanwhile
		return v, nil, false, nil
	}
	c := &change{e: e, r: r}
	if r.def.Kind == KindBatch {
		out, err = c.summary()
		return v, out, true, err
	}
	var sinks []int
	for i := range r.steps {
		if len(r.g.dependents[i]) == 0 {
			sinks = append(sinks, i)
		}
	}
	if len(sinks) == 1 {
		if r.steps[sinks[0]].rec.State == string(tasks.Succeeded) {
			out, err = c.output(sinks[0])
		}
		return v, out, true, err
	}
	out, err = c.envelope(sinks)
	return v, out, true, err
}
