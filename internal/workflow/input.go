package workflow

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/nexustask/nexus/internal/tasks"
)

// envelopeEntry is one source in an envelope (abi/ABI.md, "Workflow
// inputs"): a succeeded output as a base64 string, anything else as an
// object with its state and error.
func envelopeEntry(state string, out []byte, code, message string) json.RawMessage {
	if state == string(tasks.Succeeded) {
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString(out))
		return b
	}
	b, _ := json.Marshal(struct {
		State        string `json:"state"`
		ErrorCode    string `json:"error_code,omitempty"`
		ErrorMessage string `json:"error_message,omitempty"`
	}{state, code, message})
	return b
}

// compact returns the JSON text el without insignificant whitespace.
func compact(el json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, el) != nil {
		return append([]byte(nil), el...)
	}
	return b.Bytes()
}

// output returns step j's output: from memory while a reader waits for
// it, else from its record (a map step) or its task's.
func (c *change) output(j int) ([]byte, error) {
	st := &c.r.steps[j]
	if st.haveOut {
		return st.out, nil
	}
	if c.r.def.Steps[j].Map != nil {
		return st.rec.Output, nil
	}
	if st.rec.Task == "" {
		return nil, nil
	}
	rec, ok, err := c.e.cfg.Store.Task(st.rec.Task)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the task %s of step %s is gone", st.rec.Task, c.r.def.Steps[j].ID)
	}
	return rec.Output, nil
}

// input builds step i's input from its sources: one output unchanged, or
// the envelope of several.
func (c *change) input(i int) ([]byte, error) {
	def := &c.r.def.Steps[i]
	if len(def.InputFrom) == 0 {
		return def.Spec.Input, nil
	}
	if !def.Envelope {
		j := c.r.g.inputs[i][0]
		if c.r.steps[j].rec.State != string(tasks.Succeeded) {
			return nil, nil
		}
		return c.output(j)
	}
	return c.envelope(c.r.g.inputs[i])
}

// envelope is the JSON envelope of the steps js, in order.
func (c *change) envelope(js []int) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for k, j := range js {
		if k > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(c.r.def.Steps[j].ID)
		b.Write(name)
		b.WriteByte(':')
		st := &c.r.steps[j]
		var out []byte
		if st.rec.State == string(tasks.Succeeded) {
			var err error
			if out, err = c.output(j); err != nil {
				return nil, err
			}
		}
		b.Write(envelopeEntry(st.rec.State, out, st.rec.ErrorCode, st.rec.ErrorMessage))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// summary is what a callback gets (abi/ABI.md).
type summary struct {
	WorkflowID string            `json:"workflow_id"`
	On         string            `json:"on,omitempty"`
	State      string            `json:"state"`
	Counts     map[string]int    `json:"counts"`
	Steps      map[string]string `json:"steps"`
	Outputs    json.RawMessage   `json:"outputs,omitempty"`
}

// summary builds the workflow's summary, with the outputs' envelope for
// a batch on success.
func (c *change) summary() ([]byte, error) {
	s := summary{WorkflowID: c.r.hdr.ID, On: c.r.def.On, State: c.r.hdr.State, Counts: cloneCounts(c.r.hdr.Counts), Steps: map[string]string{}}
	for i := range c.r.steps {
		s.Steps[c.r.def.Steps[i].ID] = c.r.steps[i].rec.State
	}
	if c.r.wantsOutputs() {
		all := make([]int, len(c.r.steps))
		for i := range all {
			all[i] = i
		}
		env, err := c.envelope(all)
		if err != nil {
			return nil, err
		}
		s.Outputs = env
	}
	return json.Marshal(s)
}

// fireCallback hands the callback over, once: a task created in the
// transaction, and the batch.callback_fired event (which a URL
// callback's webhook delivers).
func (c *change) fireCallback() {
	h := &c.r.hdr
	if h.CallbackFired || c.r.def.Callback == nil {
		return
	}
	h.CallbackFired = true
	sum, err := c.summary()
	if err != nil {
		c.e.log.Error("workflow: building the callback's summary", "workflow", h.ID, "err", err)
		sum = []byte(`{}`)
	}
	if c.r.wantsOutputs() {
		for i := range c.r.steps {
			c.unread(i)
		}
	}
	ev := eventOf(c, "batch.callback_fired")
	ev.Data.Summary = sum
	if cb := c.r.def.Callback; cb.URL == "" {
		spec := c.stepSpec(cb.Spec)
		spec.Input = sum
		rec, err := c.tx.Submit(spec)
		if err != nil {
			h.ErrorMessage = "callback: " + err.Error()
		} else {
			h.CallbackTask = rec.ID
			ev.TaskID, ev.Module = rec.ID, rec.Module
		}
	}
	c.tx.Event(ev)
}
