// Package envelope reads the input of a workflow step with several
// input_from sources (abi/ABI.md, "Workflow inputs"), for guests written
// with the Go SDK. It is a package of its own so that guests that do not
// read envelopes do not link encoding/json. It runs on every platform.
package envelope

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Envelope is the input of a workflow step with several input_from
// sources (abi/ABI.md, "Workflow inputs"): for each source step, its
// output, or how it failed. Read it with Read.
type Envelope map[string]Source

// Source is one member of an Envelope: a step that succeeded, with its
// Output, or one that did not (State failed, dead, canceled or skipped),
// with its error when known.
type Source struct {
	// Output is the output of a step that succeeded.
	Output []byte
	// State is "succeeded", or how the step ended.
	State string
	// ErrorCode and ErrorMessage are a failed step's error, when known.
	ErrorCode    string
	ErrorMessage string
}

// Succeeded reports whether the source step succeeded.
func (s Source) Succeeded() bool { return s.State == "succeeded" }

// ErrInvalid is returned by Read for input that is not an envelope.
var ErrInvalid = errors.New("nexus: input is not a workflow envelope")

// Read decodes in, the JSON envelope {"<step id>": "<base64 of
// its output>" | {"state", "error_code", "error_message"}, ...}.
func Read(in []byte) (Envelope, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(in, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	env := make(Envelope, len(raw))
	for id, v := range raw {
		var s Source
		var b64 string
		if err := json.Unmarshal(v, &b64); err == nil {
			out, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, fmt.Errorf("%w: step %q: %v", ErrInvalid, id, err)
			}
			s.Output, s.State = out, "succeeded"
		} else {
			var f struct {
				State        string `json:"state"`
				ErrorCode    string `json:"error_code"`
				ErrorMessage string `json:"error_message"`
			}
			if err := json.Unmarshal(v, &f); err != nil || f.State == "" {
				return nil, fmt.Errorf("%w: step %q is neither a base64 string nor an object with a state", ErrInvalid, id)
			}
			s.State, s.ErrorCode, s.ErrorMessage = f.State, f.ErrorCode, f.ErrorMessage
		}
		env[id] = s
	}
	return env, nil
}

// Output returns the output of source step id, with ok false if the
// envelope has no such step or the step did not succeed.
func (e Envelope) Output(id string) (out []byte, ok bool) {
	s, found := e[id]
	if !found || !s.Succeeded() {
		return nil, false
	}
	return s.Output, true
}
