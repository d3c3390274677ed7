// Package errcode is NexusTask's one error table: it gives every code of
// the HTTP contract (README.md, "HTTP API v1") its HTTP status, and so
// maps every error the API can report to a status and a code. The kind
// of an error, and the code that names it, are internal/errkind's; this
// package adds only what HTTP needs. The server writes responses through
// it; the conformance suite's in-process target grades tasks through it,
// so both speak the same codes.
package errcode

import (
	"net/http"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
)

// Request-level errors, raised by the server itself. They are kinds of
// internal/errkind, named here for the server.
var (
	// ErrInvalidRequest means the request is malformed.
	ErrInvalidRequest = errkind.ErrInvalidRequest
	// ErrTooLarge means the request body is over its limit.
	ErrTooLarge = errkind.ErrTooLarge
	// ErrDamaged is matched by every error about stored data that failed
	// its checksum or digest (a task record, a module's bytes): the object
	// is refused, never served with wrong content. internal/store's and
	// modules' damage errors wrap it.
	ErrDamaged = errkind.ErrDamaged
	// ErrRequestTimeout means the request body did not arrive in time.
	ErrRequestTimeout = errkind.ErrRequestTimeout
	// ErrUnavailable means the server is not ready.
	ErrUnavailable = errkind.ErrUnavailable
	// ErrNoRoute means no endpoint has that path.
	ErrNoRoute = errkind.ErrNoRoute
	// ErrNoMethod means the endpoint does not take that method.
	ErrNoMethod = errkind.ErrNoMethod
)

// Task errors, raised by internal/tasks.
var (
	// ErrTaskNotFound means no task has that id (or it was collected).
	ErrTaskNotFound = errkind.ErrTaskNotFound
	// ErrConflict means the request does not fit the resource's state
	// (canceling a finished task, retrying a successful one).
	ErrConflict = errkind.ErrConflict
)

// Schedule errors, raised by internal/schedule.
var (
	// ErrScheduleNotFound means no schedule has that name.
	ErrScheduleNotFound = errkind.ErrScheduleNotFound
)

// Workflow errors, raised by internal/workflow.
var (
	// ErrWorkflowNotFound means no workflow has that id.
	ErrWorkflowNotFound = errkind.ErrWorkflowNotFound
)

// Bundle errors, raised by internal/bundle.
var (
	// ErrBundleNotFound means no bundle (or no such version) has that name.
	ErrBundleNotFound = errkind.ErrBundleNotFound
)

// Codes of the contract, errkind's. Internal is the code of an error of no
// known kind.
const (
	InvalidRequest   = errkind.CodeInvalidRequest
	InvalidModule    = errkind.CodeInvalidModule
	ModuleNotFound   = errkind.CodeModuleNotFound
	TaskNotFound     = errkind.CodeTaskNotFound
	ScheduleNotFound = errkind.CodeScheduleNotFound
	BundleNotFound   = errkind.CodeBundleNotFound
	WorkflowNotFound = errkind.CodeWorkflowNotFound
	NotFound         = errkind.CodeNotFound
	MethodNotAllowed = errkind.CodeMethodNotAllowed
	Conflict         = errkind.CodeConflict
	Gone             = errkind.CodeGone
	TooLarge         = errkind.CodeTooLarge
	RequestTimeout   = errkind.CodeRequestTimeout
	DataDamaged      = errkind.CodeDataDamaged
	FuelExhausted    = errkind.CodeFuelExhausted
	MemoryLimit      = errkind.CodeMemoryLimit
	OutputLimit      = errkind.CodeOutputLimit
	Timeout          = errkind.CodeTimeout
	Trap             = errkind.CodeTrap
	ExitNonzero      = errkind.CodeExitNonzero
	TaskError        = errkind.CodeTaskError
	Canceled         = errkind.CodeCanceled
	RateLimited      = errkind.CodeRateLimited
	QueueFull        = errkind.CodeQueueFull
	Unavailable      = errkind.CodeUnavailable
	Internal         = errkind.CodeInternal
)

// table is the error table: the HTTP status of each code. A code missing
// from it answers 500.
var table = map[string]int{
	InvalidRequest:   http.StatusBadRequest,
	InvalidModule:    http.StatusBadRequest,
	ModuleNotFound:   http.StatusNotFound,
	TaskNotFound:     http.StatusNotFound,
	ScheduleNotFound: http.StatusNotFound,
	BundleNotFound:   http.StatusNotFound,
	WorkflowNotFound: http.StatusNotFound,
	NotFound:         http.StatusNotFound,
	MethodNotAllowed: http.StatusMethodNotAllowed,
	Conflict:         http.StatusConflict,
	Gone:             http.StatusGone,
	TooLarge:         http.StatusRequestEntityTooLarge,
	RequestTimeout:   http.StatusRequestTimeout,
	DataDamaged:      http.StatusInternalServerError,
	FuelExhausted:    http.StatusUnprocessableEntity,
	MemoryLimit:      http.StatusUnprocessableEntity,
	OutputLimit:      http.StatusUnprocessableEntity,
	Timeout:          http.StatusUnprocessableEntity,
	Trap:             http.StatusUnprocessableEntity,
	ExitNonzero:      http.StatusUnprocessableEntity,
	TaskError:        http.StatusUnprocessableEntity,
	Canceled:         http.StatusUnprocessableEntity,
	RateLimited:      http.StatusTooManyRequests,
	QueueFull:        http.StatusTooManyRequests,
	Unavailable:      http.StatusServiceUnavailable,
	Internal:         http.StatusInternalServerError,
}

// Lookup returns the HTTP status and code of err: a 500 Internal for an
// error of no known kind. It is safe for concurrent use.
func Lookup(err error) (status int, code string) {
	code = errkind.Code(err)
	if code == "" { // nil: not an error the API reports
		code = Internal
	}
	return StatusOf(code), code
}

// RetryAfter returns how long a client should wait before retrying after
// err (a 429 or 503), rounded up to whole seconds and at least one second.
func RetryAfter(err error) time.Duration { return errkind.RetryAfter(err) }

// Code returns the code of err, or "" for nil.
func Code(err error) string { return errkind.Code(err) }

// StatusOf returns the HTTP status of a code of the table (as recorded in
// a task's record), or 500 for a code it does not know.
func StatusOf(code string) int {
	if s, ok := table[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}
