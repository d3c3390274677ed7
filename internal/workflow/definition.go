package workflow

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/tasks"
)

// Kinds of workflow: how it was submitted.
const (
	KindWorkflow = "workflow"
	KindBatch    = "batch"
	KindChain    = "chain"
)

// Failure policies of a step (Step.OnFailure).
const (
	OnFailureFail     = "fail"
	OnFailureContinue = "continue"
	OnFailureSkip     = "skip"
)

// Batch callback conditions (Definition.On).
const (
	OnSuccess  = "success"
	OnComplete = "complete"
	OnDeath    = "death"
)

// Definition is a submitted workflow. It is a value; the Engine keeps
// its own copy.
type Definition struct {
	Name           string    `json:"name,omitempty"`
	Kind           string    `json:"kind"`
	Steps          []Step    `json:"steps"`
	Callback       *Callback `json:"callback,omitempty"`
	On             string    `json:"on,omitempty"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	Tags           []string  `json:"tags,omitempty"`
	Priority       *int      `json:"priority,omitempty"`
}

// Step is one step: a task (Spec) or a map over its source's output
// (Map), with its dependencies and how its input is made.
type Step struct {
	ID        string   `json:"id"`
	DependsOn []string `json:"depends_on,omitempty"`
	Group     string   `json:"group,omitempty"`
	OnFailure string   `json:"on_failure,omitempty"`
	// InputFrom names the steps whose outputs make the input; Envelope
	// says it was given as a list (the JSON envelope) rather than one id
	// (the output unchanged).
	InputFrom []string `json:"input_from,omitempty"`
	Envelope  bool     `json:"envelope,omitempty"`
	// Spec is the task to run (its Input the step's own input); Map, if
	// set, is the task run once per element of the source's output.
	Spec tasks.Spec  `json:"-"`
	Map  *tasks.Spec `json:"-"`
}

// Callback is a batch's (or workflow's) callback: a task (Spec) or a URL.
type Callback struct {
	URL string `json:"url,omitempty"`
	// Secret, with a URL, signs the delivery as a webhook's secret does.
	Secret string     `json:"-"`
	Spec   tasks.Spec `json:"-"`
}

// stepJSON is a step on the wire: the step's fields beside any task
// field.
type stepJSON struct {
	ID          string          `json:"id"`
	DependsOn   []string        `json:"depends_on"`
	Group       string          `json:"group"`
	OnFailure   string          `json:"on_failure"`
	InputFrom   json.RawMessage `json:"input_from"`
	Map         json.RawMessage `json:"map"`
	Input       *string         `json:"input"`
	InputBase64 *string         `json:"input_base64"`
	tasks.Spec
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errkind.ErrInvalidRequest}, args...)...)
}

// decodeStrict decodes b into v, refusing unknown fields.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// decodeStep decodes one step of a body.
func decodeStep(raw json.RawMessage, i int) (Step, error) {
	var w stepJSON
	if err := decodeStrict(raw, &w); err != nil {
		return Step{}, bad("steps[%d]: %v", i, err)
	}
	st := Step{ID: w.ID, DependsOn: w.DependsOn, Group: w.Group, OnFailure: w.OnFailure, Spec: w.Spec}
	switch {
	case w.Input != nil && w.InputBase64 != nil:
		return st, bad("steps[%d]: give input or input_base64, not both", i)
	case w.Input != nil:
		st.Spec.Input = []byte(*w.Input)
	case w.InputBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*w.InputBase64)
		if err != nil {
			return st, bad("steps[%d]: input_base64: %v", i, err)
		}
		st.Spec.Input = b
	}
	if len(w.InputFrom) > 0 && string(w.InputFrom) != "null" {
		var one string
		if err := json.Unmarshal(w.InputFrom, &one); err == nil {
			st.InputFrom = []string{one}
		} else if err := json.Unmarshal(w.InputFrom, &st.InputFrom); err != nil {
			return st, bad("steps[%d]: input_from must be a step id or a list of them", i)
		} else {
			st.Envelope = true
		}
		if len(st.Spec.Input) > 0 {
			return st, bad("steps[%d]: give input or input_from, not both", i)
		}
	}
	if len(w.Map) > 0 && string(w.Map) != "null" {
		m, err := tasks.DecodeSpec(w.Map)
		if err != nil {
			return st, bad("steps[%d]: map: %v", i, err)
		}
		st.Map = &m
	}
	return st, nil
}

// Decode decodes and checks the shape of a POST /v1/workflows body;
// Engine.Submit validates the graph. Errors wrap
// errkind.ErrInvalidRequest.
func Decode(body []byte) (Definition, error) {
	var w struct {
		Name           string            `json:"name"`
		Steps          []json.RawMessage `json:"steps"`
		Callback       json.RawMessage   `json:"callback"`
		IdempotencyKey string            `json:"idempotency_key"`
		Tags           []string          `json:"tags"`
		Priority       *int              `json:"priority"`
	}
	if err := decodeStrict(body, &w); err != nil {
		return Definition{}, bad("workflow body: %v", err)
	}
	d := Definition{Name: w.Name, Kind: KindWorkflow, IdempotencyKey: w.IdempotencyKey, Tags: w.Tags, Priority: w.Priority}
	for i, raw := range w.Steps {
		st, err := decodeStep(raw, i)
		if err != nil {
			return d, err
		}
		d.Steps = append(d.Steps, st)
	}
	cb, err := decodeCallback(w.Callback)
	if err != nil {
		return d, err
	}
	d.Callback = cb
	if cb != nil {
		d.On = OnComplete
	}
	return d, nil
}

// decodeCallback decodes {"url": URL} or {"module": NAME, ...task fields}.
func decodeCallback(raw json.RawMessage) (*Callback, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var u struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(raw, &u); err == nil && u.URL != "" {
		if err := decodeStrict(raw, &u); err != nil {
			return nil, bad("callback: a URL callback has only url and secret: %v", err)
		}
		return &Callback{URL: u.URL, Secret: u.Secret}, nil
	}
	s, err := tasks.DecodeSpec(raw)
	if err != nil {
		return nil, bad("callback: %v", err)
	}
	return &Callback{Spec: s}, nil
}

// DecodeBatch decodes a POST /v1/batches body {tasks, callback, on, ...}:
// a workflow of independent steps (t0, t1, … unless a task names its id)
// and a callback. Its steps continue past failures: the callback's on
// decides.
func DecodeBatch(body []byte) (Definition, error) {
	var w struct {
		Name           string            `json:"name"`
		Tasks          []json.RawMessage `json:"tasks"`
		Callback       json.RawMessage   `json:"callback"`
		On             string            `json:"on"`
		IdempotencyKey string            `json:"idempotency_key"`
		Tags           []string          `json:"tags"`
		Priority       *int              `json:"priority"`
	}
	if err := decodeStrict(body, &w); err != nil {
		return Definition{}, bad("batch body: %v", err)
	}
	d := Definition{Name: w.Name, Kind: KindBatch, On: w.On, IdempotencyKey: w.IdempotencyKey, Tags: w.Tags, Priority: w.Priority}
	if d.On == "" {
		d.On = OnSuccess
	}
	if d.On != OnSuccess && d.On != OnComplete && d.On != OnDeath {
		return d, bad("on %q must be success, complete or death", d.On)
	}
	for i, raw := range w.Tasks {
		st, err := decodeStep(raw, i)
		if err != nil {
			return d, bad("tasks[%d]: %v", i, err)
		}
		if len(st.DependsOn) > 0 || len(st.InputFrom) > 0 || st.Map != nil || st.OnFailure != "" {
			return d, bad("tasks[%d]: a batch's tasks are independent (no depends_on, input_from, map or on_failure)", i)
		}
		if st.ID == "" {
			st.ID = fmt.Sprintf("t%d", i)
		}
		st.OnFailure = OnFailureContinue
		d.Steps = append(d.Steps, st)
	}
	cb, err := decodeCallback(w.Callback)
	if err != nil {
		return d, err
	}
	if cb == nil {
		return d, bad("a batch needs a callback")
	}
	d.Callback = cb
	return d, nil
}

// DecodeChain decodes a POST /v1/chains body {tasks, ...}: each task
// takes the previous one's output (the first its own input).
func DecodeChain(body []byte) (Definition, error) {
	var w struct {
		Name           string            `json:"name"`
		Tasks          []json.RawMessage `json:"tasks"`
		Callback       json.RawMessage   `json:"callback"`
		IdempotencyKey string            `json:"idempotency_key"`
		Tags           []string          `json:"tags"`
		Priority       *int              `json:"priority"`
	}
	if err := decodeStrict(body, &w); err != nil {
		return Definition{}, bad("chain body: %v", err)
	}
	d := Definition{Name: w.Name, Kind: KindChain, IdempotencyKey: w.IdempotencyKey, Tags: w.Tags, Priority: w.Priority}
	for i, raw := range w.Tasks {
		st, err := decodeStep(raw, i)
		if err != nil {
			return d, bad("tasks[%d]: %v", i, err)
		}
		if len(st.DependsOn) > 0 || len(st.InputFrom) > 0 || st.Map != nil {
			return d, bad("tasks[%d]: a chain's tasks take no depends_on, input_from or map", i)
		}
		if st.ID == "" {
			st.ID = fmt.Sprintf("t%d", i)
		}
		if i > 0 {
			if len(st.Spec.Input) > 0 {
				return d, bad("tasks[%d]: only a chain's first task takes an input", i)
			}
			prev := d.Steps[i-1].ID
			st.DependsOn, st.InputFrom = []string{prev}, []string{prev}
		}
		d.Steps = append(d.Steps, st)
	}
	cb, err := decodeCallback(w.Callback)
	if err != nil {
		return d, err
	}
	d.Callback = cb
	if cb != nil {
		d.On = OnComplete
	}
	return d, nil
}
