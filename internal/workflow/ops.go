package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/tasks"
)

// eventOf is a workflow event of c's workflow.
func eventOf(c *change, typ string) *events.Event {
	return &events.Event{Type: typ, Time: c.now, Workflow: c.r.hdr.ID, State: c.r.hdr.State, Tags: c.r.hdr.Tags}
}

// cancelTasks cancels the tasks of steps a finished workflow no longer
// needs; each outcome reaches the hook as any other.
func (e *Engine) cancelTasks(ids []string) {
	for _, id := range ids {
		if _, err := e.cfg.Tasks.Cancel(context.Background(), id); err != nil && !errors.Is(err, tasks.ErrConflict) && !errors.Is(err, tasks.ErrNotFound) {
			e.log.Error("workflow: canceling a step's task", "task", id, "err", err)
		}
	}
}

// operate runs fn on workflow id's run in a transaction, loading the run
// from the store if it is not in memory.
func (e *Engine) operate(ctx context.Context, id string, fn func(c *change) error) (View, error) {
	err := e.cfg.Tasks.Transact(ctx, func(tx *tasks.Tx) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		r, ok := e.runs[id]
		if !ok {
			var err error
			if r, err = e.readRun(id); err != nil {
				return err
			}
		}
		c := e.change(tx, r)
		if err := fn(c); err != nil {
			return err
		}
		if !ok {
			e.register(r)
		}
		c.flush()
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return e.Get(ctx, id)
}

// Cancel cancels workflow id: steps not started are canceled, running
// ones stop at their next fuel slice.
func (e *Engine) Cancel(ctx context.Context, id string) (View, error) {
	return e.operate(ctx, id, func(c *change) error {
		if terminalWorkflow(c.r.hdr.State) {
			return fmt.Errorf("%w: workflow %s is %s", ErrConflict, id, c.r.hdr.State)
		}
		c.r.hdr.State = Canceled
		c.r.hdr.ErrorMessage = "canceled by request"
		c.stopSteps()
		return nil
	})
}

// Pause stops workflow id from starting steps; those running go on.
func (e *Engine) Pause(ctx context.Context, id string) (View, error) {
	return e.operate(ctx, id, func(c *change) error {
		if c.r.hdr.State != Running {
			return fmt.Errorf("%w: workflow %s is %s", ErrConflict, id, c.r.hdr.State)
		}
		c.r.hdr.State = Paused
		return nil
	})
}

// Resume starts a paused workflow's ready steps again.
func (e *Engine) Resume(ctx context.Context, id string) (View, error) {
	return e.operate(ctx, id, func(c *change) error {
		if c.r.hdr.State != Paused {
			return fmt.Errorf("%w: workflow %s is %s", ErrConflict, id, c.r.hdr.State)
		}
		c.r.hdr.State = Running
		for i := range c.r.steps {
			c.maybeStart(i)
		}
		c.checkDone()
		return nil
	})
}

// Retry reruns a failed or canceled workflow's failed, dead, canceled
// and skipped steps, then continues. Its steps must all have stopped.
func (e *Engine) Retry(ctx context.Context, id string) (View, error) {
	return e.operate(ctx, id, func(c *change) error {
		r := c.r
		if r.hdr.State != Failed && r.hdr.State != Canceled {
			return fmt.Errorf("%w: workflow %s is %s; only a failed or canceled workflow is retried", ErrConflict, id, r.hdr.State)
		}
		if r.active > 0 {
			return fmt.Errorf("%w: workflow %s still has %d steps stopping", ErrConflict, id, r.active)
		}
		for i := range r.steps {
			st := &r.steps[i]
			if st.rec.State == string(tasks.Succeeded) {
				continue
			}
			if st.rec.Task != "" || st.rec.Children != nil {
				st.rec.Attempt++
			}
			st.rec.Task, st.rec.Children, st.rec.Output = "", nil, nil
			st.rec.ErrorCode, st.rec.ErrorMessage = "", ""
			c.setState(i, StepPending)
		}
		r.hdr.State, r.hdr.ErrorMessage, r.hdr.FinishedAt = Running, "", time.Time{}
		r.done = make(chan struct{})
		c.wasEnd = false
		r.recount()
		e.runs[id] = r
		c.event(events.WorkflowStarted, -1)
		for i := range r.steps {
			c.maybeStart(i)
		}
		c.checkDone()
		return nil
	})
}

// Wait returns once workflow id has finished (nil), or with ctx's
// error.
func (e *Engine) Wait(ctx context.Context, id string) error {
	e.mu.Lock()
	r, ok := e.runs[id]
	var done chan struct{}
	if ok {
		done = r.done
	}
	e.mu.Unlock()
	if !ok {
		_, _, err := e.header(id) // finished, or unknown
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
