package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Workflow states.
const (
	WorkflowRunning   = "running"
	WorkflowPaused    = "paused"
	WorkflowSucceeded = "succeeded"
	WorkflowFailed    = "failed"
	WorkflowCanceled  = "canceled"
)

// Workflow is a workflow (or batch, or chain) as the API shows it: GET
// /v1/workflows/{id}, and the answer of a submission. Steps is empty in
// lists.
type Workflow struct {
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
	CallbackFired  bool           `json:"callback_fired,omitempty"`
	CallbackTask   string         `json:"callback_task_id,omitempty"`
	CallbackURL    string         `json:"callback_url,omitempty"`
	Steps          []WorkflowStep `json:"steps,omitempty"`
}

// Finished reports whether the workflow will not change again (unless
// retried).
func (w *Workflow) Finished() bool {
	return w.State == WorkflowSucceeded || w.State == WorkflowFailed || w.State == WorkflowCanceled
}

// WorkflowStep is one step of a Workflow: its state (a task's, or
// pending, or skipped) and task.
type WorkflowStep struct {
	ID           string   `json:"id"`
	State        string   `json:"state"`
	TaskID       string   `json:"task_id,omitempty"`
	Module       string   `json:"module,omitempty"`
	Group        string   `json:"group,omitempty"`
	DependsOn    []string `json:"depends_on,omitempty"`
	InputFrom    []string `json:"input_from,omitempty"`
	OnFailure    string   `json:"on_failure,omitempty"`
	Attempt      int      `json:"attempt,omitempty"`
	ErrorCode    string   `json:"error_code,omitempty"`
	ErrorMessage string   `json:"error_message,omitempty"`
	Children     []string `json:"children,omitempty"`
}

// WorkflowFilter selects workflows for ListWorkflows; zero fields match
// all.
type WorkflowFilter struct {
	State, Name, Tag string
	Limit            int
}

// SubmitWorkflow submits a workflow: body is the JSON of POST
// /v1/workflows ({name, steps, callback, idempotency_key, tags,
// priority}). created is false when its idempotency key named an
// existing workflow.
func (c *Client) SubmitWorkflow(ctx context.Context, body json.RawMessage) (w *Workflow, created bool, err error) {
	return c.submitShape(ctx, "/v1/workflows", body)
}

// SubmitBatch submits a batch: body is the JSON of POST /v1/batches
// ({tasks, callback, on}).
func (c *Client) SubmitBatch(ctx context.Context, body json.RawMessage) (*Workflow, bool, error) {
	return c.submitShape(ctx, "/v1/batches", body)
}

// SubmitChain submits a chain: body is the JSON of POST /v1/chains
// ({tasks}).
func (c *Client) SubmitChain(ctx context.Context, body json.RawMessage) (*Workflow, bool, error) {
	return c.submitShape(ctx, "/v1/chains", body)
}

func (c *Client) submitShape(ctx context.Context, path string, body json.RawMessage) (*Workflow, bool, error) {
	var w Workflow
	resp, err := c.call(ctx, request{method: http.MethodPost, path: path, contentType: "application/json", body: body}, &w)
	if err != nil {
		return nil, false, err
	}
	return &w, resp.status == http.StatusAccepted, nil
}

// GetWorkflow returns workflow id. An unknown id is an *Error with
// CodeWorkflowNotFound.
func (c *Client) GetWorkflow(ctx context.Context, id string) (*Workflow, error) {
	var w Workflow
	_, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/workflows/" + escape(id)}, &w)
	return &w, err
}

// ListWorkflows lists workflows matching f, newest first.
func (c *Client) ListWorkflows(ctx context.Context, f WorkflowFilter) ([]Workflow, error) {
	q := url.Values{}
	for k, v := range map[string]string{"state": f.State, "name": f.Name, "tag": f.Tag} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Workflows []Workflow `json:"workflows"`
	}
	_, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/workflows", query: q.Encode()}, &out)
	return out.Workflows, err
}

func (c *Client) workflowOp(ctx context.Context, id, op string) (*Workflow, error) {
	var w Workflow
	_, err := c.call(ctx, request{method: http.MethodPost, path: "/v1/workflows/" + escape(id) + "/" + op}, &w)
	return &w, err
}

// CancelWorkflow cancels workflow id: steps not started are canceled,
// running ones stop at their next fuel slice.
func (c *Client) CancelWorkflow(ctx context.Context, id string) (*Workflow, error) {
	return c.workflowOp(ctx, id, "cancel")
}

// RetryWorkflow reruns a failed or canceled workflow's failed, dead,
// canceled and skipped steps and continues.
func (c *Client) RetryWorkflow(ctx context.Context, id string) (*Workflow, error) {
	return c.workflowOp(ctx, id, "retry")
}

// PauseWorkflow stops workflow id from starting steps.
func (c *Client) PauseWorkflow(ctx context.Context, id string) (*Workflow, error) {
	return c.workflowOp(ctx, id, "pause")
}

// ResumeWorkflow starts a paused workflow's ready steps again.
func (c *Client) ResumeWorkflow(ctx context.Context, id string) (*Workflow, error) {
	return c.workflowOp(ctx, id, "resume")
}

// WorkflowResult long-polls workflow id's result for up to wait: done is
// false (and out nil) while it runs. A failed or canceled workflow is an
// *Error (CodeTaskError, CodeCanceled).
func (c *Client) WorkflowResult(ctx context.Context, id string, wait time.Duration) (out []byte, done bool, err error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/workflows/" + escape(id) + "/result", query: "wait=" + wait.String()})
	if err != nil {
		return nil, false, err
	}
	if resp.status == http.StatusAccepted {
		return nil, false, nil
	}
	return resp.body, true, nil
}

// WorkflowGraph returns workflow id's dependency graph with each step's
// state, in format "mermaid", "dot" or "json".
func (c *Client) WorkflowGraph(ctx context.Context, id, format string) ([]byte, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/workflows/" + escape(id) + "/graph", query: "format=" + url.QueryEscape(format)})
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}
