package schedule

import (
	"strconv"
	"time"
)

// Schedule is a stored schedule: its definition and the state that makes
// firing durable. Values are copies; the Manager never shares them.
type Schedule struct {
	Spec
	// CreatedAt is when the schedule was created.
	CreatedAt time.Time `json:"created_at"`
	// NextDue is the earliest due time not yet handled (fired, skipped,
	// buffered or missed).
	NextDue time.Time `json:"next_due"`
	// Firing is a due time whose firing was decided and whose submission
	// is not yet recorded. After a crash it is submitted again with the
	// same idempotency key, whatever the catch-up policy.
	Firing *time.Time `json:"firing,omitempty"`
	// Buffered is a due time kept by OverlapBufferOne until the earlier
	// runs finish.
	Buffered *time.Time `json:"buffered,omitempty"`
	// Active lists the task ids of runs not yet seen finished; it is kept
	// for the skip and buffer_one policies only.
	Active []string `json:"active,omitempty"`
}

// Outcome is what a due time did.
type Outcome string

// Outcomes of a Run. Submitted is what is stored for a fired run; Get
// reports it as Running or Finished from the task's state.
const (
	OutcomeSubmitted Outcome = "submitted"
	OutcomeRunning   Outcome = "running"
	OutcomeFinished  Outcome = "finished"
	// OutcomeSkipped: the overlap policy skipped the due time.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeMissed: the server was down and the catch-up policy did not
	// fire the due time.
	OutcomeMissed Outcome = "missed"
	// OutcomeFailed: the task system refused the submission (Error says
	// why), for example because the template names a deleted module.
	OutcomeFailed Outcome = "failed"
)

// Run is one due time of a schedule and what it did.
type Run struct {
	// Due is the due time.
	Due time.Time `json:"due"`
	// FiredAt is when the task was submitted; FiredAt - Due is the
	// scheduling lag.
	FiredAt *time.Time `json:"fired_at,omitempty"`
	// TaskID is the submitted task, for fired runs.
	TaskID  string  `json:"task_id,omitempty"`
	Outcome Outcome `json:"outcome"`
	Error   string  `json:"error,omitempty"`
}

// IdempotencyKey returns the key a schedule's run for due is submitted
// with: "schedule/<name>/<due unix seconds>", with a fraction only for
// due times between whole seconds.
func IdempotencyKey(name string, due time.Time) string {
	k := "schedule/" + name + "/" + strconv.FormatInt(due.Unix(), 10)
	if ns := due.Nanosecond(); ns != 0 {
		f := strconv.FormatFloat(float64(ns)/1e9, 'f', -1, 64)
		k += f[1:] // ".5"
	}
	return k
}
