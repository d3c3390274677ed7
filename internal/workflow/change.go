package workflow

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/tasks"
)

// change is one transaction's changes to one workflow: the hook's or an
// operation's. Its methods run with Engine.mu held.
type change struct {
	e      *Engine
	tx     *tasks.Tx
	r      *run
	now    time.Time
	dirty  map[int]bool
	wasEnd bool
	// cancel are tasks to cancel once the transaction is durable.
	cancel []string
}

func (e *Engine) change(tx *tasks.Tx, r *run) *change {
	return &change{e: e, tx: tx, r: r, now: tx.Now(), dirty: map[int]bool{}, wasEnd: terminalWorkflow(r.hdr.State)}
}

// setState moves step i to state s, counting it.
func (c *change) setState(i int, s string) {
	st := &c.r.steps[i]
	c.r.hdr.Counts[st.rec.State]--
	c.r.hdr.Counts[s]++
	st.rec.State = s
	c.dirty[i] = true
}

// running reports whether the workflow hands off (not paused, not
// finished).
func (c *change) running() bool { return c.r.hdr.State == Running }

// stepFinished records the outcome of step i's task.
func (c *change) stepFinished(i int, rec *tasks.Record) {
	st := &c.r.steps[i]
	c.r.active--
	st.rec.ErrorCode, st.rec.ErrorMessage = rec.ErrorCode, rec.ErrorMessage
	c.setState(i, string(rec.State))
	if rec.State == tasks.Succeeded && st.readers > 0 {
		st.out, st.haveOut = rec.Output, true
	}
	c.event(events.WorkflowStepFinished, i)
	c.settle(i)
}

// childFinished records the outcome of map child k of step i; the map
// step finishes with its last child.
func (c *change) childFinished(i, k int, rec *tasks.Record) {
	st := &c.r.steps[i]
	st.kids[k] = kid{state: string(rec.State), out: rec.Output, code: rec.ErrorCode, message: rec.ErrorMessage}
	st.kidsLeft--
	if st.kidsLeft > 0 {
		return
	}
	c.finishMap(i)
}

// finishMap finishes map step i, whose children have all ended: its
// output is their envelope, in order.
func (c *change) finishMap(i int) {
	st := &c.r.steps[i]
	c.r.active--
	arr := make([]json.RawMessage, len(st.kids))
	bad := 0
	for k, kd := range st.kids {
		arr[k] = envelopeEntry(kd.state, kd.out, kd.code, kd.message)
		if kd.state != string(tasks.Succeeded) {
			bad++
		}
	}
	out, _ := json.Marshal(arr)
	st.rec.Output = out
	st.kids = nil
	if st.readers > 0 {
		st.out, st.haveOut = out, true
	}
	if bad > 0 {
		st.rec.ErrorCode = "task_error"
		st.rec.ErrorMessage = fmt.Sprintf("%d of %d map tasks did not succeed", bad, len(arr))
		c.setState(i, string(tasks.Failed))
	} else {
		c.setState(i, string(tasks.Succeeded))
	}
	c.event(events.WorkflowStepFinished, i)
	c.settle(i)
}

// settle hands off from step i, which has just finished.
func (c *change) settle(i int) {
	st := &c.r.steps[i]
	ok := st.rec.State == string(tasks.Succeeded)
	if !ok && st.rec.State != StepSkipped && c.r.def.On == OnDeath && !c.r.hdr.CallbackFired && c.r.hdr.State == Running {
		c.fireCallback()
	}
	switch {
	case ok:
		c.release(i)
	case st.rec.State == StepSkipped:
		c.skipDependents(i)
	case !c.running() && c.r.hdr.State != Paused:
		// Finished (failed or canceled): nothing more starts.
	default:
		switch c.r.policy(i) {
		case OnFailureContinue:
			c.release(i)
		case OnFailureSkip:
			c.skipDependents(i)
		default:
			c.failWorkflow(fmt.Sprintf("step %s %s", c.r.def.Steps[i].ID, st.rec.State))
		}
	}
	c.checkDone()
}

// release counts step i as finished for its dependents and starts those
// now ready.
func (c *change) release(i int) {
	for _, d := range c.r.g.dependents[i] {
		c.r.steps[d].waiting--
		c.maybeStart(d)
	}
}

// skipDependents skips the pending steps that depend on step i, and
// theirs.
func (c *change) skipDependents(i int) {
	for _, d := range c.r.g.dependents[i] {
		c.r.steps[d].waiting--
		if c.r.steps[d].rec.State == StepPending {
			c.dropReads(d)
			c.setState(d, StepSkipped)
			c.event(events.WorkflowStepFinished, d)
			c.skipDependents(d)
		}
	}
}

// dropReads releases the outputs step i would have read.
func (c *change) dropReads(i int) {
	for _, j := range c.r.g.inputs[i] {
		c.unread(j)
	}
}

func (c *change) unread(j int) {
	s := &c.r.steps[j]
	if s.readers--; s.readers <= 0 {
		s.out, s.haveOut = nil, false
	}
}

// maybeStart starts step i if it is pending, has no dependency left and
// the workflow runs.
func (c *change) maybeStart(i int) {
	st := &c.r.steps[i]
	if st.rec.State != StepPending || st.waiting > 0 || !c.running() {
		return
	}
	if err := c.start(i); err != nil {
		st.rec.ErrorCode, st.rec.ErrorMessage = "invalid_request", err.Error()
		c.setState(i, string(tasks.Failed))
		c.event(events.WorkflowStepFinished, i)
		c.settle(i)
	}
}

// start creates step i's task (or its map children) in the transaction.
func (c *change) start(i int) error {
	def := &c.r.def.Steps[i]
	st := &c.r.steps[i]
	in, err := c.input(i)
	if err != nil {
		return err
	}
	c.dropReads(i)
	if def.Map != nil {
		return c.startMap(i, in)
	}
	spec := c.stepSpec(def.Spec)
	if len(def.InputFrom) > 0 {
		spec.Input = in
	}
	rec, err := c.tx.Submit(spec)
	if err != nil {
		return err
	}
	st.rec.Task = rec.ID
	c.e.byTask[rec.ID] = taskRef{run: c.r, step: i, child: -1}
	c.r.active++
	c.setState(i, string(tasks.Queued))
	return nil
}

// stepSpec is spec with the workflow's priority unless it has its own.
func (c *change) stepSpec(spec tasks.Spec) tasks.Spec {
	if spec.Priority == nil && c.r.def.Priority != nil {
		p := *c.r.def.Priority
		spec.Priority = &p
	}
	return spec
}

// startMap creates one task per element of the JSON array in.
func (c *change) startMap(i int, in []byte) error {
	var elems []json.RawMessage
	if err := json.Unmarshal(in, &elems); err != nil {
		return fmt.Errorf("map step %s: its source's output is not a JSON array: %v", c.r.def.Steps[i].ID, err)
	}
	st := &c.r.steps[i]
	st.kids, st.kidsLeft = make([]kid, len(elems)), len(elems)
	st.rec.Children = make([]string, len(elems))
	c.r.active++
	c.setState(i, string(tasks.Running))
	for k, el := range elems {
		spec := c.stepSpec(*c.r.def.Steps[i].Map)
		spec.Input = compact(el)
		rec, err := c.tx.Submit(spec)
		if err != nil {
			return err
		}
		st.rec.Children[k] = rec.ID
		c.e.byTask[rec.ID] = taskRef{run: c.r, step: i, child: k}
	}
	if len(elems) == 0 {
		c.finishMap(i)
	}
	return nil
}

// failWorkflow fails the workflow: steps not started are canceled, those
// started are canceled once the transaction is durable.
func (c *change) failWorkflow(why string) {
	c.r.hdr.State = Failed
	c.r.hdr.ErrorMessage = why
	c.stopSteps()
}

// stopSteps cancels every step not finished.
func (c *change) stopSteps() {
	for i := range c.r.steps {
		st := &c.r.steps[i]
		switch {
		case st.rec.State == StepPending:
			c.setState(i, string(tasks.Canceled))
			st.rec.ErrorCode, st.rec.ErrorMessage = "canceled", "the workflow "+c.r.hdr.State
		case st.rec.State == string(tasks.Running) && st.kids != nil:
			for k, id := range st.rec.Children {
				if st.kids[k].state == "" {
					c.cancel = append(c.cancel, id)
				}
			}
		case !terminalStep(st.rec.State) && st.rec.Task != "":
			c.cancel = append(c.cancel, st.rec.Task)
		}
	}
}

// checkDone finishes the workflow when every step has.
func (c *change) checkDone() {
	h := &c.r.hdr
	if terminalWorkflow(h.State) || h.Counts[StepPending]+h.Counts[string(tasks.Queued)]+h.Counts[string(tasks.Running)] > 0 {
		return
	}
	all := h.Counts[string(tasks.Succeeded)]+h.Counts[StepSkipped] == h.StepCount
	switch {
	case c.r.def.Callback == nil:
		h.State = Succeeded
		if h.Counts[string(tasks.Succeeded)]+h.Counts[StepSkipped]+c.tolerated() < h.StepCount {
			h.State = Failed
		}
	case c.r.def.On == OnSuccess:
		if h.State = Failed; all {
			h.State = Succeeded
			c.fireCallback()
		}
	case c.r.def.On == OnDeath:
		if h.State = Failed; all {
			h.State = Succeeded
		}
	default: // complete
		h.State = Succeeded
		if c.r.hdr.Kind != KindBatch && h.Counts[string(tasks.Succeeded)]+h.Counts[StepSkipped]+c.tolerated() < h.StepCount {
			h.State = Failed
		}
		c.fireCallback()
	}
}

// tolerated counts the steps that did not succeed but whose policy let
// the workflow go on.
func (c *change) tolerated() int {
	n := 0
	for i := range c.r.steps {
		s := c.r.steps[i].rec.State
		if terminalStep(s) && s != string(tasks.Succeeded) && s != StepSkipped && c.r.policy(i) != OnFailureFail {
			n++
		}
	}
	return n
}

// event appends a workflow event (about step i, or the workflow if i <
// 0) to the transaction.
func (c *change) event(typ string, i int) {
	ev := &events.Event{Type: typ, Time: c.now, Workflow: c.r.hdr.ID, State: c.r.hdr.State, Tags: c.r.hdr.Tags}
	if i >= 0 {
		st := &c.r.steps[i]
		ev.TaskID, ev.State = st.rec.Task, st.rec.State
		ev.Data.Step = c.r.def.Steps[i].ID
		ev.Data.ErrorCode, ev.Data.ErrorMessage = st.rec.ErrorCode, st.rec.ErrorMessage
	}
	c.tx.Event(ev)
}

// flush adds the changed records and the workflow's own events to the
// transaction.
func (c *change) flush() {
	r := c.r
	id := r.hdr.ID
	for i := range c.dirty {
		b, _ := json.Marshal(&r.steps[i].rec)
		c.tx.Put(tasks.SpaceWorkflowSteps, stepKey(id, i), b)
	}
	if !c.wasEnd && terminalWorkflow(r.hdr.State) {
		r.hdr.FinishedAt = c.now
		switch r.hdr.State {
		case Succeeded:
			c.event(events.WorkflowSucceeded, -1)
		case Failed:
			c.event(events.WorkflowFailed, -1)
		case Canceled:
			c.event(events.WorkflowCanceled, -1)
		}
		done := r.done
		c.tx.OnCommit(func(err error) {
			if err == nil {
				close(done)
			}
		})
	}
	b, _ := json.Marshal(&r.hdr)
	c.tx.Put(tasks.SpaceWorkflows, []byte(id), b)
	if terminalWorkflow(r.hdr.State) && r.active == 0 {
		// Dropped from memory once the store has the final state, so a
		// reader never finds the store behind.
		e := c.e
		c.tx.OnCommit(func(err error) {
			if err == nil {
				e.mu.Lock()
				if e.runs[id] == r {
					delete(e.runs, id)
					e.rememberLocked(r)
				}
				e.mu.Unlock()
			}
		})
	}
	if len(c.cancel) > 0 {
		ids := c.cancel
		e := c.e
		c.tx.OnCommit(func(err error) {
			if err == nil {
				go e.cancelTasks(ids)
			}
		})
	}
	c.tx.OnCommit(func(err error) {
		if err != nil {
			c.e.reload(id)
		}
	})
}
