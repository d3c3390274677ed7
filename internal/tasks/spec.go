package tasks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/names"
)

// Limits of a Spec.
const (
	// MaxTags bounds a task's tags.
	MaxTags = 16
	// MaxIdempotencyKeyBytes bounds an idempotency key.
	MaxIdempotencyKeyBytes = 256
	// MaxRetriesLimit bounds Spec.MaxRetries.
	MaxRetriesLimit = 100
	// DefaultPriority is a task's priority when its Spec names none.
	DefaultPriority = 5
)

// Spec is what a client submits: the body of POST /v1/tasks. The zero value
// of each field means "the server's default". A Spec is a value; Submit
// copies what it keeps.
type Spec struct {
	// Module is the module to run; Version a version of it (0: the latest
	// at submission, pinned in the record).
	Module  string `json:"module"`
	Version int    `json:"version,omitempty"`
	// Input is the task's input. In JSON it is "input" (a string) or
	// "input_base64".
	Input []byte `json:"-"`
	// Priority runs from 0 to 9, higher first; nil means DefaultPriority.
	Priority *int `json:"priority,omitempty"`
	// Fuel, MemoryBytes and TimeoutMs bound one attempt; 0 means the
	// server's defaults. TimeoutMs counts from the attempt's start on a
	// worker: time spent waiting for one does not count (QueueTimeoutMs
	// bounds that).
	Fuel        int64 `json:"fuel,omitempty"`
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	TimeoutMs   int64 `json:"timeout_ms,omitempty"`
	// QueueTimeoutMs, if more than 0, bounds how long each attempt may
	// wait for a worker once the task is due: an attempt still waiting
	// then fails with code timeout and is not retried. It is kept in
	// memory only: a task recovered after a restart waits unbounded.
	QueueTimeoutMs int64 `json:"queue_timeout_ms,omitempty"`
	// RunAt or DelayMs delay the first attempt; at most one may be set.
	RunAt   *time.Time `json:"run_at,omitempty"`
	DelayMs int64      `json:"delay_ms,omitempty"`
	// MaxRetries is how many times a failed attempt is retried (by the
	// retry policy); nil means Config.DefaultMaxRetries.
	MaxRetries *int `json:"max_retries,omitempty"`
	// IdempotencyKey, if set, makes a second submission with the same key
	// within the retention window return the first task.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Category is the fair-share and rate-limit class ("" = "default").
	Category string   `json:"category,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// CacheTTLMs, if more than 0, runs the task through the result cache:
	// a successful result is stored for this long, and a task with the
	// same module version, input, config and limits is answered from it
	// without running. Only a pure module's tasks may ask for it (checked
	// at submission, as for an invoke's cache_ttl).
	CacheTTLMs int64 `json:"cache_ttl_ms,omitempty"`
	// Config is what the guest's config_get returns.
	Config map[string]string `json:"config,omitempty"`
	// Mounts are the data bundles the task's guest sees as directories;
	// each version is pinned at submission.
	Mounts []Mount `json:"mounts,omitempty"`

	// id, if set, is the new task's id instead of a new one: a spawned
	// child's, derived from its parent (ChildID).
	id string
	// TraceParent and TraceState are the submitter's W3C trace context
	// (the request's traceparent and tracestate headers, or its span),
	// kept with the task.
	TraceParent string `json:"-"`
	TraceState  string `json:"-"`
}

// specJSON is Spec's wire form, with the two spellings of the input.
type specJSON struct {
	Spec
	Input       *string `json:"input,omitempty"`
	InputBase64 *string `json:"input_base64,omitempty"`
}

// DecodeSpec decodes and validates a POST /v1/tasks body. Unknown fields
// are refused. Errors wrap errkind.ErrInvalidRequest.
func DecodeSpec(body []byte) (Spec, error) {
	var w specJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Spec{}, fmt.Errorf("%w: task body: %v", errkind.ErrInvalidRequest, err)
	}
	s := w.Spec
	switch {
	case w.Input != nil && w.InputBase64 != nil:
		return s, fmt.Errorf("%w: give input or input_base64, not both", errkind.ErrInvalidRequest)
	case w.Input != nil:
		s.Input = []byte(*w.Input)
	case w.InputBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*w.InputBase64)
		if err != nil {
			return s, fmt.Errorf("%w: input_base64: %v", errkind.ErrInvalidRequest, err)
		}
		s.Input = b
	}
	return s, s.Validate()
}

// MarshalJSON encodes s in the form DecodeSpec reads, the input as
// input_base64, so a stored Spec (a schedule's template) round-trips.
func (s Spec) MarshalJSON() ([]byte, error) {
	type plain Spec // no MarshalJSON: no recursion
	w := struct {
		plain
		InputBase64 string `json:"input_base64,omitempty"`
	}{plain: plain(s)}
	if len(s.Input) > 0 {
		w.InputBase64 = base64.StdEncoding.EncodeToString(s.Input)
	}
	return json.Marshal(w)
}

// Validate reports the first problem of s, wrapping
// errkind.ErrInvalidRequest.
func (s Spec) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{errkind.ErrInvalidRequest}, args...)...)
	}
	switch {
	case !names.Valid(s.Module):
		return bad("module %q must match "+names.Pattern, s.Module)
	case s.Version < 0:
		return bad("version %d must be positive", s.Version)
	case s.Priority != nil && (*s.Priority < 0 || *s.Priority > 9):
		return bad("priority %d must be from 0 to 9", *s.Priority)
	case s.Fuel < 0 || s.MemoryBytes < 0 || s.TimeoutMs < 0 || s.DelayMs < 0 || s.CacheTTLMs < 0 || s.QueueTimeoutMs < 0:
		return bad("fuel, memory_bytes, timeout_ms, queue_timeout_ms, delay_ms and cache_ttl_ms must not be negative")
	case s.CacheTTLMs > cache.MaxTTL.Milliseconds():
		return bad("cache_ttl_ms %d must be at most %d (%s)", s.CacheTTLMs, cache.MaxTTL.Milliseconds(), cache.MaxTTL)
	case s.RunAt != nil && s.DelayMs != 0:
		return bad("give run_at or delay_ms, not both")
	case s.MaxRetries != nil && (*s.MaxRetries < 0 || *s.MaxRetries > MaxRetriesLimit):
		return bad("max_retries %d must be from 0 to %d", *s.MaxRetries, MaxRetriesLimit)
	case len(s.IdempotencyKey) > MaxIdempotencyKeyBytes:
		return bad("idempotency_key is longer than %d bytes", MaxIdempotencyKeyBytes)
	case s.Category != "" && !names.Valid(s.Category):
		return bad("category %q must match "+names.Pattern, s.Category)
	case len(s.Tags) > MaxTags:
		return bad("more than %d tags", MaxTags)
	}
	for _, t := range s.Tags {
		if !names.Valid(t) {
			return bad("tag %q must match "+names.Pattern, t)
		}
	}
	return ValidateMounts(s.Mounts)
}
