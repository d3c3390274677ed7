package tasks

import "time"

// State is where a task is in its life.
type State string

// Task states of the HTTP contract.
const (
	// Scheduled: waiting for its run_at (first attempt or retry backoff).
	Scheduled State = "scheduled"
	// Queued: due, waiting for a worker token.
	Queued State = "queued"
	// Running: an attempt holds a lease on the task.
	Running State = "running"
	// Succeeded, Failed, Canceled and Dead are terminal.
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Canceled  State = "canceled"
	// Dead: retries exhausted.
	Dead State = "dead"
)

// States lists every state in life order.
var States = []State{Scheduled, Queued, Running, Succeeded, Failed, Canceled, Dead}

// Terminal reports whether a task in state s will not run again (unless
// retried by hand).
func (s State) Terminal() bool {
	return s == Succeeded || s == Failed || s == Canceled || s == Dead
}

// Valid reports whether s is one of States.
func (s State) Valid() bool {
	for _, x := range States {
		if s == x {
			return true
		}
	}
	return false
}

// transitions lists, for each state, the states a task in it may be
// written in next: the one place that says how a task moves. The zero
// State stands for "no record yet". A write that keeps the state (a lease
// renewal, a checkpoint) is not a transition and is always allowed.
var transitions = map[State][]State{
	"": {Scheduled, Queued}, // submission: delayed or due
	// Due (timer), or canceled while waiting.
	Scheduled: {Queued, Canceled},
	// Claimed by an attempt, or canceled while waiting.
	Queued: {Running, Canceled},
	// The attempt's outcome: done, retried later (or no room in the
	// executor), given up, canceled; or requeued when the attempt's
	// process died (start-up recovery, an ended lease).
	Running: {Succeeded, Failed, Dead, Canceled, Scheduled, Queued},
	// Retried by hand. A succeeded task is final.
	Failed:   {Queued},
	Dead:     {Queued},
	Canceled: {Queued},
}

// CanBecome reports whether a task in state s may be written next in state
// t: t is s, or the transitions table allows the step.
func (s State) CanBecome(t State) bool {
	if s == t {
		return true
	}
	for _, x := range transitions[s] {
		if x == t {
			return true
		}
	}
	return false
}

// CanReach reports whether a task in state s may be in state t after one
// or more steps that CanBecome allows. A store checks a write against it
// rather than CanBecome, because the group commit may merge a task's
// successive writes into one (created, started and succeeded in one
// write).
func (s State) CanReach(t State) bool {
	seen := map[State]bool{s: true}
	next := []State{s}
	for len(next) > 0 {
		x := next[len(next)-1]
		next = next[:len(next)-1]
		if x == t {
			return true
		}
		for _, y := range transitions[x] {
			if !seen[y] {
				seen[y] = true
				next = append(next, y)
			}
		}
	}
	return false
}

// moveTo sets r's state to t. A step the transitions table does not allow
// is a bug in this package, never a condition of the data: it panics, as
// an index out of range would.
func (r *Record) moveTo(t State) {
	if !r.State.CanBecome(t) {
		panic("tasks: task " + r.ID + " cannot go from " + string(r.State) + " to " + string(t))
	}
	r.State = t
}

// Record is a task's durable record. Records returned by the Service are
// copies; the caller may keep and modify them.
type Record struct {
	ID             string   `json:"id"`
	Module         string   `json:"module"`
	Version        int      `json:"version"`
	State          State    `json:"state"`
	Priority       int      `json:"priority"`
	Category       string   `json:"category"`
	Tags           []string `json:"tags,omitempty"`
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
	Fuel           int64    `json:"fuel,omitempty"`
	MemoryBytes    int64    `json:"memory_bytes,omitempty"`
	TimeoutMs      int64    `json:"timeout_ms,omitempty"`
	// QueueTimeoutMs bounds how long an attempt may wait for a worker
	// once the task is due (0: no bound); kept across restarts.
	QueueTimeoutMs int64             `json:"queue_timeout_ms,omitempty"`
	MaxRetries     int               `json:"max_retries"`
	CacheTTLMs     int64             `json:"cache_ttl_ms,omitempty"`
	Config         map[string]string `json:"config,omitempty"`
	// Mounts are the task's data bundles, each pinned to the version and
	// tree it had at submission.
	Mounts []Mount `json:"mounts,omitempty"`
	// TraceParent and TraceState are the W3C trace context of the
	// submission, which every attempt's spans join, however much later
	// or on whichever node it runs.
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`

	// Attempts counts started attempts, including one interrupted by a
	// crash. RetryBase is Attempts when the task was last retried by hand:
	// the retry budget counts from there.
	Attempts  int `json:"attempts"`
	RetryBase int `json:"retry_base,omitempty"`

	SubmittedAt time.Time `json:"submitted_at"`
	RunAt       time.Time `json:"run_at,omitzero"`    // when a scheduled task is due
	QueuedAt    time.Time `json:"queued_at,omitzero"` // when it last became due
	StartedAt   time.Time `json:"started_at,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	// LeaseUntil is when the running attempt's lease ends: Config.Lease
	// after its start or its last renewal. Zero unless running.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// Owner names the Service whose attempt holds the lease (Attempts
	// counts that attempt). Empty unless running. With State and
	// Attempts it is the record's Revision.
	Owner string `json:"owner,omitempty"`
	// ExpiresAt is when a terminal record is garbage-collected.
	ExpiresAt time.Time `json:"expires_at,omitzero"`

	FuelUsed int64  `json:"fuel_used"`
	Output   []byte `json:"output,omitempty"`
	// OutputBytes is the size of the output where Output is left out
	// (Store.ListTasks sets it); elsewhere it may be 0. OutputSize gives
	// the size either way. It is not stored.
	OutputBytes int `json:"output_bytes,omitempty"`
	// Cache is how the result cache answered the last attempt of a task
	// with a cache_ttl_ms: CacheHit (output and fuel_used are the stored
	// result's; the guest did not run), CacheMiss or CacheBypass.
	Cache        string `json:"cache,omitempty"`
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	Logs         string `json:"logs,omitempty"`
	// ErrorOutput is the end of what a failed attempt wrote to its
	// output before it failed (OutputTail: at most OutputTailBytes);
	// ErrorOutputTruncated says that output was longer.
	ErrorOutput          string   `json:"error_output,omitempty"`
	ErrorOutputTruncated bool     `json:"error_output_truncated,omitempty"`
	Progress             [2]int64 `json:"progress"`
	// CheckpointBytes is the size of the last checkpoint (0: none). The
	// checkpoint itself is stored beside the record.
	CheckpointBytes int `json:"checkpoint_bytes,omitempty"`

	// Preemptions counts the times, over all attempts, a higher-priority
	// task took this one's worker token at a fuel slice; each is also an
	// event.
	Preemptions int `json:"preemptions,omitempty"`
	// Events are the task's last MaxEvents events, oldest first.
	Events []Event `json:"events,omitempty"`

	Input []byte `json:"input,omitempty"`
	// InputBytes is the size of Input. A waiting task whose input is
	// larger than MaxInputInMemory does not keep it in memory: Input is
	// nil there, and the attempt reads it from the store.
	InputBytes int `json:"input_bytes,omitempty"`
}

// OutputSize returns the size of r's output: len(Output), or OutputBytes
// in a record whose output was left out.
func (r *Record) OutputSize() int { return max(len(r.Output), r.OutputBytes) }

// MaxInputInMemory is the largest input a waiting task keeps in memory.
// Larger ones stay on disk (the store keeps them apart from the record)
// until the task's attempt starts, so that many tasks with large inputs
// waiting for their time cost memory for their records only.
const MaxInputInMemory = 16 << 10

// shedInput drops a large input from r, which the store has: see
// MaxInputInMemory.
func (r *Record) shedInput() {
	if len(r.Input) > MaxInputInMemory {
		r.InputBytes = len(r.Input) // records stored before InputBytes lack it
		r.Input = nil
	}
}

// inputShed reports whether r's input is on disk only.
func (r *Record) inputShed() bool { return r.Input == nil && r.InputBytes > 0 }

// MaxEvents bounds Record.Events; older events are dropped.
const MaxEvents = 32

// EventPreempted is the Kind of an event recording a preemption: the
// attempt was suspended mid-execution and resumed later.
const EventPreempted = "preempted"

// Event is something that happened to a running task.
type Event struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Attempt int       `json:"attempt"`
}

// addEvents appends events of one attempt, keeping the last MaxEvents.
func (r *Record) addEvents(kind string, attempt int, at []time.Time) {
	for _, t := range at {
		r.Events = append(r.Events, Event{At: t, Kind: kind, Attempt: attempt})
	}
	if n := len(r.Events) - MaxEvents; n > 0 {
		r.Events = append(r.Events[:0:0], r.Events[n:]...)
	}
}

// clone returns a copy of r sharing nothing mutable with it.
func (r *Record) clone() Record {
	c := *r
	c.Tags = append([]string(nil), r.Tags...)
	c.Events = append([]Event(nil), r.Events...)
	return c
}

// Revision is what a compare-and-set of the Store compares: a record's
// state, its attempt count and the owner of its running attempt. Every
// claim of a task (queued to running) counts one more attempt and names
// its owner, so two processes cannot both hold the revision a claim
// wrote, and a write based on a record some other writer has since
// changed is refused (ErrStale).
type Revision struct {
	State    State
	Attempts int
	Owner    string
}

// Revision returns r's revision.
func (r *Record) Revision() Revision {
	return Revision{State: r.State, Attempts: r.Attempts, Owner: r.Owner}
}
