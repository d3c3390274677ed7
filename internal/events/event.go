package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Event types of the contract (README.md, "Events").
const (
	TaskSubmitted    = "task.submitted"
	TaskScheduled    = "task.scheduled"
	TaskQueued       = "task.queued"
	TaskStarted      = "task.started"
	TaskProgress     = "task.progress"
	TaskCheckpointed = "task.checkpointed"
	TaskPreempted    = "task.preempted"
	TaskResumed      = "task.resumed"
	TaskRetrying     = "task.retrying"
	TaskSucceeded    = "task.succeeded"
	TaskFailed       = "task.failed"
	TaskDead         = "task.dead"
	TaskCanceled     = "task.canceled"
	InvokeFinished   = "invoke.finished"
	ModuleUploaded   = "module.uploaded"
	ModuleDeleted    = "module.deleted"
	BundleUploaded   = "bundle.uploaded"
	BundleDeleted    = "bundle.deleted"
	ScheduleFired    = "schedule.fired"
	ScheduleSkipped  = "schedule.skipped"
	ScheduleMissed   = "schedule.missed"
	CacheInvalidated = "cache.invalidated"
	WebhookFailing   = "webhook.failing"

	WorkflowSubmitted    = "workflow.submitted"
	WorkflowStarted      = "workflow.started"
	WorkflowStepFinished = "workflow.step_finished"
	WorkflowSucceeded    = "workflow.succeeded"
	WorkflowFailed       = "workflow.failed"
	WorkflowCanceled     = "workflow.canceled"
	BatchCallbackFired   = "batch.callback_fired"

	// ConfigChanged is a configuration key changed while the server runs
	// (SIGHUP or PATCH /v1/config): Data.Key names it, Data.Summary is
	// {"old", "new", "source", "by"}.
	ConfigChanged = "config.changed"
)

// Types lists every event type, in the order of the contract.
var Types = []string{
	TaskSubmitted, TaskScheduled, TaskQueued, TaskStarted, TaskProgress,
	TaskCheckpointed, TaskPreempted, TaskResumed, TaskRetrying,
	TaskSucceeded, TaskFailed, TaskDead, TaskCanceled, InvokeFinished,
	ModuleUploaded, ModuleDeleted, BundleUploaded, BundleDeleted,
	ScheduleFired, ScheduleSkipped, ScheduleMissed, CacheInvalidated,
	WebhookFailing,
	WorkflowSubmitted, WorkflowStarted, WorkflowStepFinished,
	WorkflowSucceeded, WorkflowFailed, WorkflowCanceled, BatchCallbackFired,
	ConfigChanged,
}

// KnownType reports whether t is one of Types.
func KnownType(t string) bool {
	for _, x := range Types {
		if x == t {
			return true
		}
	}
	return false
}

// Event is one state change, as the API shows it. Events handed out by
// the Bus and the Log are shared: treat them as read-only.
type Event struct {
	// ID is the event's cursor: it sorts (as a string) in publication
	// order and is stable across restarts. Empty until the Log has
	// committed the event.
	ID   string    `json:"id"`
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	// The task (or module, for module.* events) the event is about.
	TaskID   string   `json:"task_id,omitempty"`
	Module   string   `json:"module,omitempty"`
	Version  int      `json:"version,omitempty"`
	State    string   `json:"state,omitempty"`
	Attempt  int      `json:"attempt,omitempty"`
	Priority int      `json:"priority,omitempty"`
	Category string   `json:"category,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// Workflow is the workflow of workflow.* and batch.* events, and of
	// a step's task events where known.
	Workflow string `json:"workflow_id,omitempty"`
	// Node names the node that published the event.
	Node string `json:"node,omitempty"`
	// TraceParent is the W3C trace context of the task's submission (a
	// task event of a task submitted with one): webhook deliveries send
	// it as their traceparent header.
	TraceParent string `json:"traceparent,omitempty"`
	// Data carries the type's details.
	Data Data `json:"data"`

	seq  uint64                 // ID as a number; 0 until committed
	enc  []byte                 // the event without its id, as the Log stores it
	full atomic.Pointer[[]byte] // JSON's result
}

// Data are the details of an event; each type sets the fields that
// apply to it.
type Data struct {
	// ErrorCode and ErrorMessage: why an attempt failed (task.retrying,
	// task.failed, task.dead, task.canceled, invoke.finished).
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	// FuelUsed and DurationMs: what a finished attempt cost.
	FuelUsed   int64 `json:"fuel_used,omitempty"`
	DurationMs int64 `json:"duration_ms,omitempty"`
	// Done and Total: a task's progress (task.progress, and the last
	// progress of a finished attempt).
	Done  int64 `json:"done,omitempty"`
	Total int64 `json:"total,omitempty"`
	// RunAt: when a scheduled or retrying task is due.
	RunAt *time.Time `json:"run_at,omitempty"`
	// Cache: how the result cache answered the attempt.
	Cache string `json:"cache,omitempty"`
	// CheckpointBytes: the size of a new checkpoint.
	CheckpointBytes int `json:"checkpoint_bytes,omitempty"`
	// Schedule and Due: the schedule and the due time of schedule.*.
	Schedule string     `json:"schedule,omitempty"`
	Due      *time.Time `json:"due,omitempty"`
	// Reason: why a schedule's run was skipped or missed, why a webhook
	// is failing.
	Reason string `json:"reason,omitempty"`
	// Bundle, Digest and Size: the bundle of bundle.uploaded and
	// bundle.deleted, and an upload's digest and bytes.
	Bundle string `json:"bundle,omitempty"`
	Digest string `json:"digest,omitempty"`
	Size   int64  `json:"size,omitempty"`
	// Tag, Key and Removed: what a cache.invalidated invalidated.
	Tag     string `json:"tag,omitempty"`
	Key     string `json:"key,omitempty"`
	Removed int    `json:"removed,omitempty"`
	// Webhook and URL: the endpoint of a webhook.failing.
	Webhook string `json:"webhook,omitempty"`
	URL     string `json:"url,omitempty"`
	// Step: the workflow step of workflow.step_finished.
	Step string `json:"step,omitempty"`
	// Summary: a batch's summary (batch.callback_fired), the JSON its
	// callback gets.
	Summary json.RawMessage `json:"summary,omitempty"`
	// Output: a finished task's output, in per-task callback deliveries
	// only (never in the log).
	Output []byte `json:"output_base64,omitempty"`
}

// FormatID returns the cursor of sequence number seq: 16 hex digits, so
// that cursors sort as strings as their sequence numbers do.
func FormatID(seq uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[seq&0xf]
		seq >>= 4
	}
	return string(b[:])
}

// ParseID returns the sequence number of cursor id. The empty cursor is
// 0, before every event.
func ParseID(id string) (uint64, error) {
	if id == "" {
		return 0, nil
	}
	if len(id) > 16 {
		return 0, fmt.Errorf("events: cursor %q is not an event id", id)
	}
	n, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("events: cursor %q is not an event id", id)
	}
	return n, nil
}

// Seq returns e's sequence number: 0 until committed.
func (e *Event) Seq() uint64 { return e.seq }

// Encode encodes e as the Log stores it (without its id, in the binary
// form of codec.go) and keeps the encoding for the Log. Call it before
// handing e to a Log, on the goroutine that built e.
func (e *Event) Encode() []byte {
	if e.enc == nil {
		e.Time = e.Time.Round(0).UTC() // as a reader of the log sees it
		e.enc = appendEvent(make([]byte, 0, 96), e)
	}
	return e.enc
}

// JSON returns e as the API shows it, id included. It is computed once
// and shared: callers must not modify it. Call it only on a committed
// event.
func (e *Event) JSON() []byte {
	if p := e.full.Load(); p != nil {
		return *p
	}
	b := appendJSON(make([]byte, 0, 256+len(e.enc)), e)
	e.full.Store(&b)
	return b
}

// Committed sets e's id to seq, as the Log does once it has stored e.
func (e *Event) Committed(seq uint64) {
	e.seq = seq
	e.ID = FormatID(seq)
}

// Decode returns the event stored as b under sequence number seq.
func Decode(seq uint64, b []byte) (*Event, error) {
	e, err := decodeEvent(b)
	if err != nil {
		return nil, fmt.Errorf("events: event %s: %w", FormatID(seq), err)
	}
	e.enc = b
	e.Committed(seq)
	return e, nil
}
