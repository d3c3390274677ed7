package client

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error codes of the HTTP API v1 contract: the Code of an *Error and of an
// ErrorDetail.
const (
	CodeInvalidRequest   = "invalid_request"    // 400: the request is malformed
	CodeInvalidModule    = "invalid_module"     // 400: the upload is not a valid module
	CodeModuleNotFound   = "module_not_found"   // 404
	CodeTaskNotFound     = "task_not_found"     // 404
	CodeScheduleNotFound = "schedule_not_found" // 404
	CodeBundleNotFound   = "bundle_not_found"   // 404
	CodeWorkflowNotFound = "workflow_not_found" // 404
	CodeNotFound         = "not_found"          // 404: no such endpoint
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeConflict         = "conflict"           // 409: the resource's state does not allow it
	CodeGone             = "gone"               // 410: an event cursor older than the events kept; see Error.Oldest
	CodeTooLarge         = "too_large"          // 413: the body is over its limit
	CodeRequestTimeout   = "request_timeout"    // 408: the request's body arrived too slowly
	CodeFuelExhausted    = "fuel_exhausted"     // 422: the task ran out of fuel
	CodeMemoryLimit      = "memory_limit"       // 422: the task needed more memory than its quota
	CodeOutputLimit      = "output_limit"       // 422: the task wrote more output than the cap
	CodeTimeout          = "timeout"            // 422: the task passed its deadline
	CodeTrap             = "trap"               // 422: the guest trapped
	CodeExitNonzero      = "exit_nonzero"       // 422: a wasi-command exited with a non-zero code
	CodeTaskError        = "task_error"         // 422: a nexus-v1 task returned an error
	CodeCanceled         = "canceled"           // 422: the task was canceled
	CodeRateLimited      = "rate_limited"       // 429: the category's rate limit; see RetryAfter
	CodeQueueFull        = "queue_full"         // 429: the executor's queue is full; see RetryAfter
	CodeUnavailable      = "unavailable"        // 503: the server is not ready or is shutting down
	CodeInternal         = "internal"           // 500
	// CodeHTTP is the Code of an *Error whose body was not the API's
	// error shape (an answer from a proxy, say); Message holds the body.
	CodeHTTP = "http_error"
)

// ErrorDetail is the API's error shape, the value of "error" in an error
// response and in the elements of batch answers.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// TaskID is the task the error is about, if any.
	TaskID string `json:"task_id,omitempty"`
	// FuelUsed is the fuel a task used before it failed, when it ran.
	FuelUsed *int64 `json:"fuel_used,omitempty"`
	// ExitCode is a wasi-command guest's exit code, for exit_nonzero.
	ExitCode *uint32 `json:"exit_code,omitempty"`
	// Logs are the task's captured stderr and log lines (bounded).
	Logs string `json:"logs,omitempty"`
	// Output is the end of what a failed task wrote to its output before
	// it failed (at most 4 KiB, as text); OutputTruncated says the output
	// was longer.
	Output          string `json:"output,omitempty"`
	OutputTruncated bool   `json:"output_truncated,omitempty"`
	// Oldest is the id of the oldest event kept, with CodeGone.
	Oldest string `json:"oldest,omitempty"`
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error ErrorDetail `json:"error"`
}

// Error is an error response of the API: a status of 400 or more.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is the API's error code (the Code constants), or CodeHTTP.
	Code string
	// Message is the server's description of the error.
	Message string
	// TaskID, FuelUsed, ExitCode and Logs describe a failed task: the task
	// id of an invocation or durable task, the fuel it used (nil if it did
	// not run), a wasi-command's exit code, its logs.
	TaskID   string
	FuelUsed *int64
	ExitCode *uint32
	Logs     string
	// Output and OutputTruncated are the end of what a failed task wrote
	// to its output before it failed (ErrorDetail.Output).
	Output          string
	OutputTruncated bool
	// Oldest is the id of the oldest event kept, with CodeGone: resume
	// from there, knowing the events before it were missed.
	Oldest string
	// RetryAfter is the server's Retry-After on a 429 or 503: how long to
	// wait before trying again (0 if it sent none).
	RetryAfter time.Duration
	// Header holds the response's headers (an invocation's X-Nexus-*
	// headers, such as its progress, come with its failure too).
	Header http.Header
}

// Error returns "code (status): message", followed by the task id if any.
// The logs are not part of it; they are in Logs.
func (e *Error) Error() string {
	s := fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
	if e.TaskID != "" {
		s += " [task " + e.TaskID + "]"
	}
	return s
}

// Detail returns e in the API's error shape.
func (e *Error) Detail() ErrorDetail {
	return ErrorDetail{Code: e.Code, Message: e.Message, TaskID: e.TaskID, FuelUsed: e.FuelUsed, ExitCode: e.ExitCode, Logs: e.Logs,
		Output: e.Output, OutputTruncated: e.OutputTruncated, Oldest: e.Oldest}
}

// IsCode reports whether err is, or wraps, an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// IsTaskFailure reports whether err is, or wraps, the failure of a task
// that ran or was canceled (a 422: fuel_exhausted, trap, timeout, …),
// rather than a refused request.
func IsTaskFailure(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusUnprocessableEntity
}

// newError builds the *Error of a response with status >= 400 and body
// data, decoding data with dec.
func newError(resp *http.Response, data []byte, dec func([]byte, any) error) *Error {
	e := &Error{Status: resp.StatusCode, Header: resp.Header}
	var eb errorBody
	if err := dec(data, &eb); err != nil || eb.Error.Code == "" {
		e.Code, e.Message = CodeHTTP, strings.TrimSpace(string(data))
	} else {
		d := eb.Error
		e.Code, e.Message, e.TaskID, e.FuelUsed, e.ExitCode, e.Logs = d.Code, d.Message, d.TaskID, d.FuelUsed, d.ExitCode, d.Logs
		e.Output, e.OutputTruncated = d.Output, d.OutputTruncated
		e.Oldest = d.Oldest
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			e.RetryAfter = max(time.Until(t), 0)
		}
	}
	return e
}
