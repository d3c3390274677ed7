package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// State is where a task is in its life.
type State string

// Task states of the HTTP contract.
const (
	// StateScheduled: waiting for its run_at (first attempt or retry
	// backoff).
	StateScheduled State = "scheduled"
	// StateQueued: due, waiting for a worker.
	StateQueued State = "queued"
	// StateRunning: an attempt is running.
	StateRunning State = "running"
	// StateSucceeded, StateFailed, StateCanceled and StateDead (retries
	// exhausted) are terminal.
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
	StateCanceled  State = "canceled"
	StateDead      State = "dead"
)

// Terminal reports whether a task in state s will not run again unless
// retried by hand.
func (s State) Terminal() bool {
	return s == StateSucceeded || s == StateFailed || s == StateCanceled || s == StateDead
}

// Limits of the task endpoints.
const (
	// MaxResultWait is the longest wait the server honours on one
	// long-poll for results.
	MaxResultWait = 5 * time.Minute
	// MaxBatch bounds the tasks of one SubmitTasks and the ids of one
	// Results.
	MaxBatch = 1000
	// MaxListLimit bounds TaskFilter.Limit.
	MaxListLimit = 1000
)

// TaskSpec is a task to submit: the body of POST /v1/tasks. The zero value
// of each field means the server's default.
type TaskSpec struct {
	// Module is the module to run; Version a version of it (0: the latest
	// at submission, pinned in the task).
	Module  string `json:"module"`
	Version int    `json:"version,omitempty"`
	// Input (text) or InputBase64 (bytes, sent base64-encoded) is the
	// task's input; set one of them at most.
	Input       string `json:"input,omitempty"`
	InputBase64 []byte `json:"input_base64,omitempty"`
	// Priority runs from 0 to 9, higher first; nil means 5.
	Priority *int `json:"priority,omitempty"`
	// Fuel, MemoryBytes and TimeoutMs bound one attempt; TimeoutMs counts
	// from the attempt's start on a worker.
	Fuel        int64 `json:"fuel,omitempty"`
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	TimeoutMs   int64 `json:"timeout_ms,omitempty"`
	// QueueTimeoutMs, if more than 0, bounds how long each attempt may
	// wait for a worker once the task is due: one still waiting then fails
	// with CodeTimeout and is not retried.
	QueueTimeoutMs int64 `json:"queue_timeout_ms,omitempty"`
	// RunAt or DelayMs delay the first attempt; set one of them at most.
	RunAt   *time.Time `json:"run_at,omitempty"`
	DelayMs int64      `json:"delay_ms,omitempty"`
	// MaxRetries is how many times a failed attempt is retried; nil means
	// the server's default.
	MaxRetries *int `json:"max_retries,omitempty"`
	// IdempotencyKey, if set, makes a second submission with the same key
	// (within the server's retention) return the first task.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Category is the fair-share and rate-limit class.
	Category string   `json:"category,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// CacheTTLMs, if more than 0, runs a pure module's task through the
	// result cache, keeping a successful result this long.
	CacheTTLMs int64 `json:"cache_ttl_ms,omitempty"`
	// Config is what the guest's config_get returns.
	Config map[string]string `json:"config,omitempty"`
	// Mounts are the data bundles the task's guest sees as directories.
	Mounts []Mount `json:"mounts,omitempty"`
}

// Task is a task's record as the API shows it (GET /v1/tasks/{id} and the
// other task endpoints): everything but its input and output, whose sizes
// it gives.
type Task struct {
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
	// QueueTimeoutMs bounds how long each attempt may wait for a worker.
	QueueTimeoutMs int64 `json:"queue_timeout_ms,omitempty"`
	// Owner names the server process whose attempt holds the task while it
	// runs.
	Owner      string            `json:"owner,omitempty"`
	MaxRetries int               `json:"max_retries"`
	CacheTTLMs int64             `json:"cache_ttl_ms,omitempty"`
	Config     map[string]string `json:"config,omitempty"`
	// Mounts are the task's data bundles, each pinned to the version and
	// tree (Digest) it had at submission.
	Mounts []Mount `json:"mounts,omitempty"`

	// Attempts counts started attempts; RetryBase is Attempts when the
	// task was last retried by hand.
	Attempts  int `json:"attempts"`
	RetryBase int `json:"retry_base,omitempty"`

	SubmittedAt time.Time `json:"submitted_at"`
	// RunAt is when a scheduled task is due; QueuedAt when it last became
	// due.
	RunAt      time.Time `json:"run_at,omitzero"`
	QueuedAt   time.Time `json:"queued_at,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// LeaseUntil is when a running attempt's lease ends.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// ExpiresAt is when a finished task is forgotten.
	ExpiresAt time.Time `json:"expires_at,omitzero"`

	FuelUsed int64 `json:"fuel_used"`
	// Cache is how the result cache answered the last attempt of a task
	// with a cache_ttl_ms (CacheHit, CacheMiss, CacheBypass).
	Cache        string `json:"cache,omitempty"`
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	Logs         string `json:"logs,omitempty"`
	// ErrorOutput is the end of what a failed attempt wrote to its
	// output before it failed (at most 4 KiB, as text);
	// ErrorOutputTruncated says that output was longer.
	ErrorOutput          string `json:"error_output,omitempty"`
	ErrorOutputTruncated bool   `json:"error_output_truncated,omitempty"`
	// Progress is the progress the task last reported: done, total.
	Progress [2]int64 `json:"progress"`
	// CheckpointBytes is the size of the task's last checkpoint.
	CheckpointBytes int `json:"checkpoint_bytes,omitempty"`
	// Preemptions counts the times a higher-priority task suspended it.
	Preemptions int `json:"preemptions,omitempty"`
	// Events are the task's last events, oldest first.
	Events []TaskEvent `json:"events,omitempty"`
	// InputBytes is the size of a large input (kept apart from the
	// record); OutputBytes the size of the output.
	InputBytes  int `json:"input_bytes,omitempty"`
	OutputBytes int `json:"output_bytes"`
	// Created is set on submission only: false when an idempotency key
	// returned an existing task.
	Created *bool `json:"created,omitempty"`
	// CancelRequested is set on CancelTask's answer for a task still
	// running: its attempt has been told to stop.
	CancelRequested bool `json:"cancel_requested,omitempty"`

	// Raw is the server's JSON of the task, when it was the whole answer
	// of a call (nil in lists).
	Raw json.RawMessage `json:"-"`
}

// TaskEvent is something that happened to a running task.
type TaskEvent struct {
	At time.Time `json:"at"`
	// Kind is, for one, "preempted".
	Kind    string `json:"kind"`
	Attempt int    `json:"attempt"`
}

// SubmitResult is one answer of SubmitTasks: the task's id and state, or
// the error that refused it.
type SubmitResult struct {
	ID      string       `json:"id,omitempty"`
	State   State        `json:"state,omitempty"`
	Created bool         `json:"created"`
	Error   *ErrorDetail `json:"error,omitempty"`
}

// TaskResult is what the server says of a task's result: one element of
// Results, or the answer of Result.
type TaskResult struct {
	ID string `json:"id"`
	// State is the task's state; "" for an id Results did not find.
	State    State `json:"state,omitempty"`
	FuelUsed int64 `json:"fuel_used"`
	// Output is a succeeded task's output (left out of a Results answer
	// past the server's bound on their total size: OutputBytes gives its
	// size either way).
	Output      []byte `json:"output_base64,omitempty"`
	OutputBytes int    `json:"output_bytes"`
	// Error is a failed, dead or canceled task's error, or the error of an
	// id Results did not find.
	Error *ErrorDetail `json:"error,omitempty"`
	// Task is the task's record when Result found it unfinished.
	Task *Task `json:"-"`
}

// Done reports whether the task has finished.
func (r *TaskResult) Done() bool { return r.State.Terminal() }

// TaskList is one page of ListTasks.
type TaskList struct {
	Tasks []Task `json:"tasks"`
	// NextCursor, if not empty, is the TaskFilter.Cursor of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
	// Raw is the server's JSON, as received.
	Raw json.RawMessage `json:"-"`
}

// TaskFilter selects the tasks of ListTasks; the zero value lists all.
type TaskFilter struct {
	State  State
	Module string
	Tag    string
	// Limit is the page size (the server's default, 100, if 0; at most
	// MaxListLimit).
	Limit int
	// Cursor is a NextCursor of an earlier page.
	Cursor string
}

// SubmitTask submits one task (POST /v1/tasks) and returns its record once
// the server has it on disk. With an IdempotencyKey the server already
// knows, it returns that task with Created false.
func (c *Client) SubmitTask(ctx context.Context, spec TaskSpec) (*Task, error) {
	r, err := jsonRequest(http.MethodPost, "/v1/tasks", spec)
	if err != nil {
		return nil, err
	}
	return c.taskCall(ctx, r)
}

// SubmitTasks submits up to MaxBatch tasks in one request (POST /v1/tasks
// with a list), committed together. It returns one SubmitResult per spec,
// in order; a spec the server refused has its Error set, the others are
// submitted all the same.
func (c *Client) SubmitTasks(ctx context.Context, specs []TaskSpec) ([]SubmitResult, error) {
	if specs == nil {
		specs = []TaskSpec{}
	}
	r, err := jsonRequest(http.MethodPost, "/v1/tasks", specs)
	if err != nil {
		return nil, err
	}
	var out []SubmitResult
	if _, err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetTask returns task id's record (GET /v1/tasks/{id}), or an *Error with
// CodeTaskNotFound.
func (c *Client) GetTask(ctx context.Context, id string) (*Task, error) {
	return c.taskCall(ctx, request{method: http.MethodGet, path: "/v1/tasks/" + escape(id)})
}

// CancelTask cancels task id (POST /v1/tasks/{id}/cancel) and returns its
// record: StateCanceled, or StateRunning while its running attempt is
// being stopped. A finished task is an *Error with CodeConflict.
func (c *Client) CancelTask(ctx context.Context, id string) (*Task, error) {
	return c.taskCall(ctx, request{method: http.MethodPost, path: "/v1/tasks/" + escape(id) + "/cancel"})
}

// RetryTask requeues a failed, dead or canceled task with a fresh retry
// budget (POST /v1/tasks/{id}/retry) and returns its record.
func (c *Client) RetryTask(ctx context.Context, id string) (*Task, error) {
	return c.taskCall(ctx, request{method: http.MethodPost, path: "/v1/tasks/" + escape(id) + "/retry"})
}

// taskCall sends r and decodes the task of its answer.
func (c *Client) taskCall(ctx context.Context, r request) (*Task, error) {
	var t Task
	resp, err := c.call(ctx, r, &t)
	if err != nil {
		return nil, err
	}
	t.Raw = resp.body
	return &t, nil
}

// Result returns task id's result (GET /v1/tasks/{id}/result), waiting up
// to wait (at most MaxResultWait; 0 does not wait) for it to finish. A
// succeeded task's result has its Output; one still unfinished when wait
// has passed has Done() false and its record in Task. A failed, dead or
// canceled task is an *Error with the task's code, TaskID, FuelUsed and
// Logs.
func (c *Client) Result(ctx context.Context, id string, wait time.Duration) (*TaskResult, error) {
	r := request{method: http.MethodGet, path: "/v1/tasks/" + escape(id) + "/result"}
	if wait > 0 {
		r.query = "wait=" + url.QueryEscape(wait.String())
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	h := resp.header
	out := &TaskResult{ID: h.Get(HeaderTaskID), State: State(h.Get(HeaderTaskState))}
	out.FuelUsed, _ = strconv.ParseInt(h.Get(HeaderFuelUsed), 10, 64)
	if resp.status == http.StatusOK {
		out.Output, out.OutputBytes = resp.body, len(resp.body)
		return out, nil
	}
	var t Task
	if err := c.decode(resp.body, &t); err != nil {
		return nil, fmt.Errorf("client: GET %s: decoding the response: %w", r.path, err)
	}
	t.Raw = resp.body
	out.Task = &t
	return out, nil
}

// waitRound is the wait of each long-poll of WaitTask.
const waitRound = 30 * time.Second

// WaitTask waits for task id to finish and returns its result, polling
// with long waits until ctx ends. A failed, dead or canceled task is an
// *Error, as for Result.
func (c *Client) WaitTask(ctx context.Context, id string) (*TaskResult, error) {
	for {
		wait := waitRound
		if d, ok := ctx.Deadline(); ok {
			wait = max(min(wait, time.Until(d)), time.Millisecond)
		}
		r, err := c.Result(ctx, id, wait)
		if err != nil || r.Done() {
			return r, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// resultsRequest is the body of POST /v1/tasks/results.
type resultsRequest struct {
	IDs []string `json:"ids"`
}

// resultsAnswer is the answer of POST /v1/tasks/results.
type resultsAnswer struct {
	Results []TaskResult `json:"results"`
}

// Results returns the results of up to MaxBatch tasks in one request
// (POST /v1/tasks/results), in the order of ids, once every one has
// finished or wait (at most MaxResultWait) has passed. A task still
// unfinished then has Done() false; a failed one its Error; an unknown id
// an Error with CodeTaskNotFound.
func (c *Client) Results(ctx context.Context, ids []string, wait time.Duration) ([]TaskResult, error) {
	if ids == nil {
		ids = []string{}
	}
	r, err := jsonRequest(http.MethodPost, "/v1/tasks/results", resultsRequest{IDs: ids})
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		r.query = "wait=" + url.QueryEscape(wait.String())
	}
	var out resultsAnswer
	if _, err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// ListTasks returns one page of the tasks f selects, newest first (GET
// /v1/tasks).
func (c *Client) ListTasks(ctx context.Context, f TaskFilter) (*TaskList, error) {
	q := url.Values{}
	for k, v := range map[string]string{"state": string(f.State), "module": f.Module, "tag": f.Tag, "cursor": f.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out TaskList
	resp, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/tasks", query: q.Encode()}, &out)
	if err != nil {
		return nil, err
	}
	out.Raw = resp.body
	return &out, nil
}

// AllTasks iterates over every task f selects, newest first, fetching the
// pages of ListTasks (f.Limit tasks each) as it goes. An error ends the
// iteration after it is yielded.
func (c *Client) AllTasks(ctx context.Context, f TaskFilter) iter.Seq2[Task, error] {
	return func(yield func(Task, error) bool) {
		for {
			page, err := c.ListTasks(ctx, f)
			if err != nil {
				yield(Task{}, err)
				return
			}
			for _, t := range page.Tasks {
				if !yield(t, nil) {
					return
				}
			}
			if page.NextCursor == "" {
				return
			}
			f.Cursor = page.NextCursor
		}
	}
}
