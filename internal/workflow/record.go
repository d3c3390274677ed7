package workflow

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

// Workflow states.
const (
	Running   = "running"
	Paused    = "paused"
	Succeeded = "succeeded"
	Failed    = "failed"
	Canceled  = "canceled"
)

// Step states beyond a task's: waiting for dependencies, or skipped.
const (
	StepPending = "pending"
	StepSkipped = "skipped"
)

// terminalWorkflow reports whether a workflow in state s is finished.
func terminalWorkflow(s string) bool { return s == Succeeded || s == Failed || s == Canceled }

// terminalStep reports whether a step in state s has finished.
func terminalStep(s string) bool {
	switch s {
	case string(tasks.Succeeded), string(tasks.Failed), string(tasks.Dead), string(tasks.Canceled), StepSkipped:
		return true
	}
	return false
}

// Header is a workflow's record without its steps: what GET
// /v1/workflows lists. It is stored in the workflows space, rewritten
// with every change.
type Header struct {
	ID             string         `json:"id"`
	Name           string         `json:"name,omitempty"`
	Kind           string         `json:"kind"`
	State          string         `json:"state"`
	Tags           []string       `json:"tags,omitempty"`
	Priority       *int           `json:"priority,omitempty"`
	On             string         `json:"on,omitempty"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
	StepCount      int            `json:"step_count"`
	Counts         map[string]int `json:"counts"`
	CreatedAt      time.Time      `json:"created_at"`
	FinishedAt     time.Time      `json:"finished_at,omitzero"`
	ErrorMessage   string         `json:"error_message,omitempty"`
	// CallbackFired says the callback was handed over (a task created,
	// or the batch.callback_fired event for a URL); CallbackTask is the
	// callback task's id.
	CallbackFired bool   `json:"callback_fired,omitempty"`
	CallbackTask  string `json:"callback_task_id,omitempty"`
	CallbackURL   string `json:"callback_url,omitempty"`
}

// stepRec is a step's stored state.
type stepRec struct {
	State        string   `json:"state"`
	Task         string   `json:"task_id,omitempty"`
	Attempt      int      `json:"attempt,omitempty"`
	ErrorCode    string   `json:"error_code,omitempty"`
	ErrorMessage string   `json:"error_message,omitempty"`
	Children     []string `json:"children,omitempty"`
	Output       []byte   `json:"output,omitempty"`
}

// stepKey is the key of step i of workflow id.
func stepKey(id string, i int) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(id), '/'), uint32(i))
}

// storedStep is a step as its definition is stored: the task specs in
// their own JSON (tasks.Spec.MarshalJSON, read by tasks.DecodeSpec).
type storedStep struct {
	Step
	Spec json.RawMessage `json:"spec,omitempty"`
	Map  json.RawMessage `json:"map,omitempty"`
}

type storedDef struct {
	Definition
	Steps    []storedStep    `json:"steps"`
	Callback json.RawMessage `json:"callback_spec,omitempty"`
	URL      string          `json:"callback_url,omitempty"`
	Secret   string          `json:"callback_secret,omitempty"`
}

// encodeDef encodes d for the workflow_defs space.
func encodeDef(d *Definition) ([]byte, error) {
	sd := storedDef{Definition: *d, Steps: make([]storedStep, len(d.Steps))}
	sd.Definition.Steps, sd.Definition.Callback = nil, nil
	for i, st := range d.Steps {
		ss := storedStep{Step: st}
		var err error
		if st.Map != nil {
			if ss.Map, err = json.Marshal(*st.Map); err != nil {
				return nil, err
			}
		} else if ss.Spec, err = json.Marshal(st.Spec); err != nil {
			return nil, err
		}
		sd.Steps[i] = ss
	}
	if cb := d.Callback; cb != nil {
		sd.URL, sd.Secret = cb.URL, cb.Secret
		if cb.URL == "" {
			var err error
			if sd.Callback, err = json.Marshal(cb.Spec); err != nil {
				return nil, err
			}
		}
	}
	return json.Marshal(sd)
}

// decodeDef decodes what encodeDef wrote.
func decodeDef(b []byte) (*Definition, error) {
	var sd storedDef
	if err := json.Unmarshal(b, &sd); err != nil {
		return nil, fmt.Errorf("workflow: decoding a definition: %w", err)
	}
	d := sd.Definition
	d.Steps = make([]Step, len(sd.Steps))
	for i, ss := range sd.Steps {
		st := ss.Step
		if len(ss.Map) > 0 {
			m, err := tasks.DecodeSpec(ss.Map)
			if err != nil {
				return nil, err
			}
			st.Map = &m
		} else if len(ss.Spec) > 0 {
			s, err := tasks.DecodeSpec(ss.Spec)
			if err != nil {
				return nil, err
			}
			st.Spec = s
		}
		d.Steps[i] = st
	}
	if sd.URL != "" {
		d.Callback = &Callback{URL: sd.URL, Secret: sd.Secret}
	} else if len(sd.Callback) > 0 {
		s, err := tasks.DecodeSpec(sd.Callback)
		if err != nil {
			return nil, err
		}
		d.Callback = &Callback{Spec: s}
	}
	return &d, nil
}
