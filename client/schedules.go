package client

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Overlap says what a due time does while an earlier run of the same
// schedule has not finished.
type Overlap string

// Overlap policies.
const (
	// OverlapSkip skips the due time (the default).
	OverlapSkip Overlap = "skip"
	// OverlapBufferOne fires it when the earlier run has finished; a
	// further due time meanwhile is skipped.
	OverlapBufferOne Overlap = "buffer_one"
	// OverlapAllow fires regardless.
	OverlapAllow Overlap = "allow"
)

// CatchUp says what happens to due times that passed while the server was
// down.
type CatchUp string

// Catch-up policies.
const (
	// CatchUpNone fires none of them.
	CatchUpNone CatchUp = "none"
	// CatchUpOne fires the latest of them (the default).
	CatchUpOne CatchUp = "one"
	// CatchUpAll fires each of them, oldest first, up to the server's
	// bound.
	CatchUpAll CatchUp = "all"
)

// ScheduleSpec defines a schedule: the body of POST /v1/schedules. Exactly
// one of Cron and Every is set.
type ScheduleSpec struct {
	// Name identifies the schedule: [a-z0-9][a-z0-9._-]{0,63}.
	Name string `json:"name"`
	// Cron is a 5-field or 6-field (leading seconds) cron expression, or a
	// descriptor such as @hourly, read in Timezone (an IANA zone; UTC by
	// default).
	Cron     string `json:"cron,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	// Every is a Go duration ("90s", "1h"); due times are its multiples
	// since the Unix epoch.
	Every string `json:"every,omitempty"`
	// Task is the task template, a TaskSpec's JSON, submitted once per due
	// time with the idempotency key "schedule/<name>/<due unix>" (see
	// TaskTemplate).
	Task json.RawMessage `json:"task"`
	// Overlap and CatchUp are the policies; "" means the defaults.
	Overlap Overlap `json:"overlap,omitempty"`
	CatchUp CatchUp `json:"catch_up,omitempty"`
	// Paused schedules fire nothing until resumed.
	Paused bool `json:"paused,omitempty"`
}

// TaskTemplate returns spec's JSON for ScheduleSpec.Task.
func TaskTemplate(spec TaskSpec) (json.RawMessage, error) {
	return json.Marshal(spec)
}

// Schedule is a schedule as the API shows it.
type Schedule struct {
	ScheduleSpec
	CreatedAt time.Time `json:"created_at"`
	// NextDue is the next due time; zero while the schedule is paused
	// (the API leaves next_due out then).
	NextDue time.Time `json:"next_due,omitzero"`
	// Buffered is a due time waiting for the running task (buffer_one).
	Buffered *time.Time `json:"buffered,omitempty"`
	// Running is how many fired runs are not yet known finished.
	Running int `json:"running"`
	// Runs are the last runs, newest first (GetSchedule only).
	Runs []ScheduleRun `json:"runs,omitempty"`
	// Raw is the server's JSON of the schedule, when it was the whole
	// answer of a call (nil in lists).
	Raw json.RawMessage `json:"-"`
}

// Outcomes of a schedule's run (ScheduleRun.Outcome).
const (
	OutcomeSubmitted = "submitted"
	OutcomeRunning   = "running"
	OutcomeFinished  = "finished"
	OutcomeSkipped   = "skipped"
	OutcomeMissed    = "missed"
	OutcomeFailed    = "failed"
)

// ScheduleRun is one due time of a schedule and what became of it.
type ScheduleRun struct {
	Due time.Time `json:"due"`
	// FiredAt is when the task was submitted, if it was.
	FiredAt *time.Time `json:"fired_at,omitempty"`
	TaskID  string     `json:"task_id,omitempty"`
	// Outcome is one of the Outcome constants; Error says why a run
	// failed.
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// ScheduleList is the answer of GET /v1/schedules.
type ScheduleList struct {
	Schedules []Schedule `json:"schedules"`
	// Raw is the server's JSON, as received.
	Raw json.RawMessage `json:"-"`
}

// CreateSchedule creates a schedule (POST /v1/schedules).
func (c *Client) CreateSchedule(ctx context.Context, spec ScheduleSpec) (*Schedule, error) {
	r, err := jsonRequest(http.MethodPost, "/v1/schedules", spec)
	if err != nil {
		return nil, err
	}
	return c.scheduleCall(ctx, r)
}

// GetSchedule returns schedule name with its last runs runs, newest first
// (GET /v1/schedules/{name}?runs=; from 0 to 1000). An unknown name is an
// *Error with CodeScheduleNotFound.
func (c *Client) GetSchedule(ctx context.Context, name string, runs int) (*Schedule, error) {
	return c.scheduleCall(ctx, request{method: http.MethodGet, path: "/v1/schedules/" + escape(name), query: "runs=" + strconv.Itoa(runs)})
}

// ListSchedules lists every schedule (GET /v1/schedules).
func (c *Client) ListSchedules(ctx context.Context) (*ScheduleList, error) {
	var out ScheduleList
	resp, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/schedules"}, &out)
	if err != nil {
		return nil, err
	}
	out.Raw = resp.body
	return &out, nil
}

// PauseSchedule stops schedule name firing until resumed (POST
// /v1/schedules/{name}/pause).
func (c *Client) PauseSchedule(ctx context.Context, name string) (*Schedule, error) {
	return c.scheduleCall(ctx, request{method: http.MethodPost, path: "/v1/schedules/" + escape(name) + "/pause"})
}

// ResumeSchedule lets a paused schedule fire again from its next due time
// (POST /v1/schedules/{name}/resume).
func (c *Client) ResumeSchedule(ctx context.Context, name string) (*Schedule, error) {
	return c.scheduleCall(ctx, request{method: http.MethodPost, path: "/v1/schedules/" + escape(name) + "/resume"})
}

// DeleteSchedule deletes schedule name (DELETE /v1/schedules/{name}); the
// tasks it submitted are kept.
func (c *Client) DeleteSchedule(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/v1/schedules/" + escape(name)})
	return err
}

// scheduleCall sends r and decodes the schedule of its answer.
func (c *Client) scheduleCall(ctx context.Context, r request) (*Schedule, error) {
	var s Schedule
	resp, err := c.call(ctx, r, &s)
	if err != nil {
		return nil, err
	}
	s.Raw = resp.body
	return &s, nil
}
