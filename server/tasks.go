package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/tasks"
)

// Limits of the task endpoints.
const (
	// MaxResultWait caps the wait parameter of GET /v1/tasks/{id}/result.
	MaxResultWait = 5 * time.Minute
	// MaxSubmitBatch bounds the tasks of one POST /v1/tasks with a list,
	// and the ids of one POST /v1/tasks/results.
	MaxSubmitBatch = 1000
	// maxResultsBody bounds the body of POST /v1/tasks/results.
	maxResultsBody = 256 << 10
	// MaxResultsOutput bounds the outputs one POST /v1/tasks/results
	// answer carries; the outputs past it are left out (their size is
	// given), to be read with GET /v1/tasks/{id}/result.
	MaxResultsOutput = 16 << 20
)

// DefaultCancelWait is how long POST /v1/tasks/{id}/cancel waits for a
// running task's attempt to stop when the request names no wait.
const DefaultCancelWait = 2 * time.Second

// HeaderTaskState carries a task's state on GET /v1/tasks/{id}/result.
const HeaderTaskState = "X-Nexus-Task-State"

// TaskView is a task record as the API shows it: without its input, its
// output replaced by its size (GET /v1/tasks/{id}/result has the output).
type TaskView struct {
	tasks.Record
	Input       []byte `json:"input,omitempty"`  // always empty
	Output      []byte `json:"output,omitempty"` // always empty
	OutputBytes int    `json:"output_bytes"`
	Created     *bool  `json:"created,omitempty"` // on submission only
	// CancelRequested is set on a cancel's 202 only: the task is still
	// running, and its attempt has been told to stop.
	CancelRequested bool `json:"cancel_requested,omitempty"`
}

func viewOf(r tasks.Record) TaskView {
	return TaskView{Record: r, OutputBytes: r.OutputSize()}
}

// SubmitResult is one answer of a batched POST /v1/tasks.
type SubmitResult struct {
	ID      string       `json:"id,omitempty"`
	State   tasks.State  `json:"state,omitempty"`
	Created bool         `json:"created"`
	Error   *ErrorDetail `json:"error,omitempty"`
}

// ResultsRequest is the body of POST /v1/tasks/results.
type ResultsRequest struct {
	IDs []string `json:"ids"`
}

// TaskResult is one answer of POST /v1/tasks/results: what GET
// /v1/tasks/{id}/result says of the task, in one JSON object.
type TaskResult struct {
	ID       string      `json:"id"`
	State    tasks.State `json:"state,omitempty"`
	FuelUsed int64       `json:"fuel_used"`
	// Output is a succeeded task's output, unless the answer's outputs
	// would pass MaxResultsOutput with it; OutputBytes is its size either
	// way.
	Output      []byte `json:"output_base64,omitempty"`
	OutputBytes int    `json:"output_bytes"`
	// Error is a failed, dead or canceled task's error (with its status
	// in the code's table), or not_found for an unknown id.
	Error *ErrorDetail `json:"error,omitempty"`
}

// TaskResults is the body of POST /v1/tasks/results.
type TaskResults struct {
	Results []TaskResult `json:"results"`
}

// TaskList is the body of GET /v1/tasks.
type TaskList struct {
	Tasks      []TaskView `json:"tasks"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

func (s *Server) taskService() (*tasks.Service, error) {
	if s.cfg.Tasks == nil {
		return nil, fmt.Errorf("%w: the task service is not running", errUnavailable)
	}
	return s.cfg.Tasks, nil
}

// submitTask is POST /v1/tasks. A JSON object submits one task: 202 with
// its record once it is durable, or 200 with the existing task for a known
// idempotency key. A JSON list submits each in turn (committed together by
// the group commit) and answers 202 with one SubmitResult per element.
func (s *Server) submitTask(c echo.Context) error {
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	body, err := readBody(c, submitBodyLimit(s.cfg.MaxInputBytes))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) > 0 && b[0] == '[' {
		return s.submitBatch(c, svc, b)
	}
	spec, err := s.decodeSpec(body)
	if err != nil {
		return err
	}
	spec.TraceParent, spec.TraceState = traceParent(c)
	rec, created, err := svc.Submit(ctx, spec)
	if err != nil {
		return err
	}
	c.Response().Header().Set(HeaderTaskID, rec.ID)
	v := viewOf(rec)
	v.Created = &created
	if !created {
		return c.JSON(http.StatusOK, v)
	}
	return c.JSON(http.StatusAccepted, v)
}

func (s *Server) submitBatch(c echo.Context, svc *tasks.Service, body []byte) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return fmt.Errorf("%w: task list: %v", errBadRequest, err)
	}
	if len(raws) > MaxSubmitBatch {
		return fmt.Errorf("%w: more than %d tasks in one request", errBadRequest, MaxSubmitBatch)
	}
	out := make([]SubmitResult, len(raws))
	specs := make([]tasks.Spec, 0, len(raws))
	at := make([]int, 0, len(raws))
	tp, ts := traceParent(c)
	for i, raw := range raws {
		spec, err := s.decodeSpec(raw)
		if err != nil {
			out[i].Error = errorDetail(err)
			continue
		}
		spec.TraceParent, spec.TraceState = tp, ts
		specs, at = append(specs, spec), append(at, i)
	}
	// The valid specs are committed together, in one synced write.
	for k, sub := range svc.SubmitMany(c.Request().Context(), specs) {
		r := &out[at[k]]
		if sub.Err != nil {
			r.Error = errorDetail(sub.Err)
			continue
		}
		r.ID, r.State, r.Created = sub.Record.ID, sub.Record.State, sub.Created
	}
	return c.JSON(http.StatusAccepted, out)
}

// submitEnvelopeBytes is what a POST /v1/tasks body may hold besides a
// task's input: the other fields of the spec, its config and tags.
const submitEnvelopeBytes = 128 << 10

// submitBodyLimit is the body limit of POST /v1/tasks for an input cap of
// maxInput bytes: the cap in base64 (the longer of the input's two
// spellings for binary data) plus the envelope. The decoded input is
// checked against maxInput itself (decodeSpec), so neither spelling gets
// past the cap.
func submitBodyLimit(maxInput int64) int64 {
	return int64(base64.StdEncoding.EncodedLen(int(maxInput))) + submitEnvelopeBytes
}

// decodeSpec decodes one task of a POST /v1/tasks body and refuses an
// input larger than Config.MaxInputBytes with too_large, as an invoke's.
func (s *Server) decodeSpec(body []byte) (tasks.Spec, error) {
	spec, err := tasks.DecodeSpec(body)
	if err != nil {
		return spec, err
	}
	if n := int64(len(spec.Input)); n > s.cfg.MaxInputBytes {
		return tasks.Spec{}, fmt.Errorf("%w: input of %d bytes, limit %d", errTooLarge, n, s.cfg.MaxInputBytes)
	}
	return spec, nil
}

// errorDetail is err in the error shape, without task details.
func errorDetail(err error) *ErrorDetail {
	_, code := codeOf(err)
	return &ErrorDetail{Code: code, Message: err.Error()}
}

// getTask is GET /v1/tasks/{id}.
func (s *Server) getTask(c echo.Context) error {
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	rec, err := svc.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewOf(rec))
}

// taskResult is GET /v1/tasks/{id}/result?wait=30s. It waits up to wait
// (0 by default, at most MaxResultWait) for the task to finish. A
// succeeded task answers 200 with its output as the body; a failed, dead
// or canceled one the error shape with its error code and status; one
// still unfinished 202 with its record.
func (s *Server) taskResult(c echo.Context) error {
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	wait, err := waitParam(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), wait)
	defer cancel()
	rec, err := svc.Wait(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(HeaderTaskID, rec.ID)
	h.Set(HeaderTaskState, string(rec.State))
	h.Set(HeaderFuelUsed, strconv.FormatInt(rec.FuelUsed, 10))
	switch {
	case !rec.State.Terminal():
		return c.JSON(http.StatusAccepted, viewOf(rec))
	case rec.State == tasks.Succeeded:
		return c.Blob(http.StatusOK, "application/octet-stream", rec.Output)
	}
	e := taskError(rec)
	fuel := rec.FuelUsed
	e.FuelUsed = &fuel
	return c.JSON(errcode.StatusOf(e.Code), ErrorBody{Error: e})
}

// taskError is the error of a failed, dead or canceled task's record.
func taskError(rec tasks.Record) ErrorDetail {
	code := rec.ErrorCode
	if code == "" {
		code = errcode.Canceled
	}
	return ErrorDetail{Code: code, Message: rec.ErrorMessage, TaskID: rec.ID, Logs: rec.Logs,
		Output: rec.ErrorOutput, OutputTruncated: rec.ErrorOutputTruncated}
}

// taskResults is POST /v1/tasks/results?wait=30s with {"ids": [...]}: the
// results of up to MaxSubmitBatch tasks in one request, in the order
// asked, once every one has finished or wait (0 by default, at most
// MaxResultWait) has passed; a task still unfinished then is answered
// with its state and no output. Outputs past MaxResultsOutput in all are
// left out, with their sizes. A client that submits tasks in lists
// collects their results this way instead of one request per task.
func (s *Server) taskResults(c echo.Context) error {
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	wait, err := waitParam(c)
	if err != nil {
		return err
	}
	body, err := readBody(c, maxResultsBody)
	if err != nil {
		return err
	}
	var req ResultsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("%w: body must be {\"ids\": [...]}: %v", errBadRequest, err)
	}
	if len(req.IDs) > MaxSubmitBatch {
		return fmt.Errorf("%w: more than %d ids in one request", errBadRequest, MaxSubmitBatch)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), wait)
	defer cancel()
	out := TaskResults{Results: make([]TaskResult, len(req.IDs))}
	outputs := 0
	for i, id := range req.IDs {
		// One deadline for the whole list: a task that finished while an
		// earlier one was awaited answers at once.
		rec, err := svc.Wait(ctx, id)
		if err != nil {
			out.Results[i] = TaskResult{ID: id, Error: errorDetail(err)}
			continue
		}
		r := TaskResult{ID: rec.ID, State: rec.State, FuelUsed: rec.FuelUsed, OutputBytes: len(rec.Output)}
		switch {
		case rec.State == tasks.Succeeded:
			if outputs+len(rec.Output) <= MaxResultsOutput {
				r.Output = rec.Output
				outputs += len(rec.Output)
			}
		case rec.State.Terminal():
			e := taskError(rec)
			r.Error = &e
		}
		out.Results[i] = r
	}
	return c.JSON(http.StatusOK, out)
}

// waitParam reads the wait query parameter of the result endpoints: a
// duration, 0 if absent, at most MaxResultWait.
func waitParam(c echo.Context) (time.Duration, error) {
	v := c.QueryParam("wait")
	if v == "" {
		return 0, nil
	}
	wait, err := parseDuration(v)
	if err != nil || wait < 0 {
		return 0, fmt.Errorf("%w: wait %q must be a duration like 30s", errBadRequest, v)
	}
	return min(wait, MaxResultWait), nil
}

// cancelTask is POST /v1/tasks/{id}/cancel?wait=2s. A waiting task is
// canceled at once: 200 with the canceled record. A running one has its
// attempt stopped (at its next fuel slice), which the answer waits for, up
// to wait (DefaultCancelWait if absent, at most MaxResultWait): 200 with
// the canceled record once it stopped, 409 conflict if the attempt
// finished otherwise first, or 202 with the record, still running, and
// cancel_requested true.
func (s *Server) cancelTask(c echo.Context) error {
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	wait := DefaultCancelWait
	if c.QueryParam("wait") != "" {
		if wait, err = waitParam(c); err != nil {
			return err
		}
	}
	id := c.Param("id")
	rec, err := svc.Cancel(c.Request().Context(), id)
	if err != nil || rec.State == tasks.Canceled {
		return answerCanceled(c, rec, err)
	}
	if wait > 0 {
		ctx, cancel := context.WithTimeout(c.Request().Context(), wait)
		defer cancel()
		if rec, err = svc.Wait(ctx, id); err != nil || rec.State.Terminal() {
			return answerCanceled(c, rec, err)
		}
	}
	v := viewOf(rec)
	v.CancelRequested = true
	return c.JSON(http.StatusAccepted, v)
}

// answerCanceled answers a cancel whose task has finished: 200 with the
// record if canceled, else 409 conflict naming how it ended.
func answerCanceled(c echo.Context, rec tasks.Record, err error) error {
	switch {
	case err != nil:
		return err
	case rec.State != tasks.Canceled:
		return fmt.Errorf("%w: task %s ended %s before the cancel stopped it", tasks.ErrConflict, rec.ID, rec.State)
	}
	return c.JSON(http.StatusOK, viewOf(rec))
}

// retryTask is POST /v1/tasks/{id}/retry: 202 with the requeued record.
func (s *Server) retryTask(c echo.Context) error {
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	rec, err := svc.Retry(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, viewOf(rec))
}

// listTasks is GET /v1/tasks?state=&module=&tag=&limit=&cursor=.
func (s *Server) listTasks(c echo.Context) error {
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	q := c.QueryParams()
	f := tasks.Filter{State: tasks.State(q.Get("state")), Module: q.Get("module"), Tag: q.Get("tag"), Cursor: q.Get("cursor")}
	limit := 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > tasks.MaxListLimit {
			return fmt.Errorf("%w: limit %q must be from 1 to %d", errBadRequest, v, tasks.MaxListLimit)
		}
	}
	recs, next, err := svc.List(c.Request().Context(), f, limit)
	if err != nil {
		return err
	}
	out := TaskList{Tasks: make([]TaskView, len(recs)), NextCursor: next}
	for i, r := range recs {
		out.Tasks[i] = viewOf(r)
	}
	return c.JSON(http.StatusOK, out)
}
