// Package errcode is NexusTask's one error table: it maps every error the
// API can report to its HTTP status and the code of the HTTP contract
// (README.md, "HTTP API v1"). The server writes responses through it; the conformance
// suite's in-process target grades tasks through it, so both speak the same
// codes.
package errcode

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/modules"
)

// Request-level errors, raised by the server itself.
var (
	// ErrInvalidRequest means the request is malformed.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrTooLarge means the request body is over its limit.
	ErrTooLarge = errors.New("request body too large")
	// ErrDamaged is matched by every error about stored data that failed
	// its checksum or digest (a task record, a module's bytes): the object
	// is refused, never served with wrong content. internal/store's and
	// modules' damage errors wrap it.
	ErrDamaged = errors.New("stored data is damaged")
	// ErrRequestTimeout means the request body did not arrive in time.
	ErrRequestTimeout = errors.New("request body timed out")
	// ErrUnavailable means the server is not ready.
	ErrUnavailable = errors.New("server not ready")
	// ErrNoRoute means no endpoint has that path.
	ErrNoRoute = errors.New("no such endpoint")
	// ErrNoMethod means the endpoint does not take that method.
	ErrNoMethod = errors.New("method not allowed")
)

// Task errors, raised by internal/tasks.
var (
	// ErrTaskNotFound means no task has that id (or it was collected).
	ErrTaskNotFound = errors.New("task not found")
	// ErrConflict means the request does not fit the resource's state
	// (canceling a finished task, retrying a successful one).
	ErrConflict = errors.New("conflict")
)

// Schedule errors, raised by internal/schedule.
var (
	// ErrScheduleNotFound means no schedule has that name.
	ErrScheduleNotFound = errors.New("schedule not found")
)

// Codes of the contract. Internal is the code of an error no row matches.
const (
	InvalidRequest   = "invalid_request"
	InvalidModule    = "invalid_module"
	ModuleNotFound   = "module_not_found"
	TaskNotFound     = "task_not_found"
	ScheduleNotFound = "schedule_not_found"
	NotFound         = "not_found"
	MethodNotAllowed = "method_not_allowed"
	Conflict         = "conflict"
	TooLarge         = "too_large"
	RequestTimeout   = "request_timeout"
	DataDamaged      = "data_damaged"
	FuelExhausted    = "fuel_exhausted"
	MemoryLimit      = "memory_limit"
	OutputLimit      = "output_limit"
	Timeout          = "timeout"
	Trap             = "trap"
	ExitNonzero      = "exit_nonzero"
	TaskError        = "task_error"
	Canceled         = "canceled"
	RateLimited      = "rate_limited"
	QueueFull        = "queue_full"
	Unavailable      = "unavailable"
	Internal         = "internal"
)

// row is one entry of the table.
type row struct {
	match  func(error) bool
	status int
	code   string
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func as[T error]() func(error) bool {
	return func(err error) bool {
		var t T
		return errors.As(err, &t)
	}
}

// table is the error table. The first matching row wins.
var table = []row{
	{is(ErrInvalidRequest), http.StatusBadRequest, InvalidRequest},
	{is(modules.ErrInvalidName), http.StatusBadRequest, InvalidRequest},
	{is(modules.ErrInvalidOption), http.StatusBadRequest, InvalidRequest},
	{as[*host.LimitError](), http.StatusBadRequest, InvalidRequest},
	{is(host.ErrGrant), http.StatusBadRequest, InvalidRequest},
	{is(cache.ErrNotCacheable), http.StatusBadRequest, InvalidRequest},
	{is(cache.ErrInvalid), http.StatusBadRequest, InvalidRequest},
	{is(modules.ErrInvalid), http.StatusBadRequest, InvalidModule},
	{is(modules.ErrNotFound), http.StatusNotFound, ModuleNotFound},
	{is(ErrTaskNotFound), http.StatusNotFound, TaskNotFound},
	{is(ErrConflict), http.StatusConflict, Conflict},
	{is(ErrScheduleNotFound), http.StatusNotFound, ScheduleNotFound},
	{is(host.ErrClosed), http.StatusNotFound, ModuleNotFound},
	{is(ErrNoRoute), http.StatusNotFound, NotFound},
	{is(ErrNoMethod), http.StatusMethodNotAllowed, MethodNotAllowed},
	{is(modules.ErrTooLarge), http.StatusRequestEntityTooLarge, TooLarge},
	{is(ErrTooLarge), http.StatusRequestEntityTooLarge, TooLarge},
	{is(ErrRequestTimeout), http.StatusRequestTimeout, RequestTimeout},
	{is(host.ErrCompileTimeout), http.StatusBadRequest, InvalidModule},
	{is(ErrDamaged), http.StatusInternalServerError, DataDamaged},
	{is(modules.ErrCorrupt), http.StatusInternalServerError, DataDamaged},
	{as[*host.FuelError](), http.StatusUnprocessableEntity, FuelExhausted},
	{is(host.ErrMemoryLimit), http.StatusUnprocessableEntity, MemoryLimit},
	{is(host.ErrOutputLimit), http.StatusUnprocessableEntity, OutputLimit},
	{is(host.ErrTimeout), http.StatusUnprocessableEntity, Timeout},
	{as[*host.TrapError](), http.StatusUnprocessableEntity, Trap},
	{is(host.ErrCallDepth), http.StatusUnprocessableEntity, Trap},
	{as[*host.ExitError](), http.StatusUnprocessableEntity, ExitNonzero},
	{as[*host.TaskError](), http.StatusUnprocessableEntity, TaskError},
	{is(host.ErrCanceled), http.StatusUnprocessableEntity, Canceled},
	{is(context.Canceled), http.StatusUnprocessableEntity, Canceled},
	{is(context.DeadlineExceeded), http.StatusUnprocessableEntity, Timeout},
	{is(executor.ErrInvalidJob), http.StatusBadRequest, InvalidRequest},
	{is(executor.ErrQueueTimeout), http.StatusUnprocessableEntity, Timeout},
	{is(executor.ErrQueueFull), http.StatusTooManyRequests, QueueFull},
	{is(executor.ErrRateLimited), http.StatusTooManyRequests, RateLimited},
	{is(executor.ErrClosed), http.StatusServiceUnavailable, Unavailable},
	{is(ErrUnavailable), http.StatusServiceUnavailable, Unavailable},
}

// Lookup returns the HTTP status and code of err: a 500 Internal for an
// error no row matches. It is safe for concurrent use.
func Lookup(err error) (status int, code string) {
	for _, r := range table {
		if r.match(err) {
			return r.status, r.code
		}
	}
	return http.StatusInternalServerError, Internal
}

// RetryAfter returns how long a client should wait before retrying after
// err (a 429 or 503), rounded up to whole seconds and at least one second.
func RetryAfter(err error) time.Duration {
	d := time.Second
	var qf *executor.QueueFullError
	var rl *executor.RateLimitError
	switch {
	case errors.As(err, &qf):
		d = qf.RetryAfter
	case errors.As(err, &rl):
		d = rl.RetryAfter
	}
	return max((d+time.Second-1)/time.Second, 1) * time.Second
}

// Code returns the code of err, or "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	_, c := Lookup(err)
	return c
}

// StatusOf returns the HTTP status of a code of the table (as recorded in
// a task's record), or 500 for a code it does not know.
func StatusOf(code string) int {
	for _, r := range table {
		if r.code == code {
			return r.status
		}
	}
	return http.StatusInternalServerError
}
