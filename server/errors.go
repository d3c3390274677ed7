package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/modules"
)

// Errors raised by the server itself.
var (
	errBadRequest  = errors.New("server: invalid request")
	errTooLarge    = errors.New("server: request body too large")
	errUnavailable = errors.New("server: not ready")
	errNoRoute     = errors.New("server: no such endpoint")
	errNoMethod    = errors.New("server: method not allowed")
)

// errorCode is one row of the error table.
type errorCode struct {
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

// errorTable maps every error a handler can return to its HTTP status and
// the code of the contract in DESIGN.md. The first matching row wins; an
// error matching no row is a 500 "internal".
var errorTable = []errorCode{
	{is(errBadRequest), http.StatusBadRequest, "invalid_request"},
	{is(modules.ErrInvalidName), http.StatusBadRequest, "invalid_request"},
	{as[*host.LimitError](), http.StatusBadRequest, "invalid_request"},
	{is(host.ErrGrant), http.StatusBadRequest, "invalid_request"},
	{is(modules.ErrInvalid), http.StatusBadRequest, "invalid_module"},
	{is(modules.ErrNotFound), http.StatusNotFound, "module_not_found"},
	{is(host.ErrClosed), http.StatusNotFound, "module_not_found"},
	{is(errNoRoute), http.StatusNotFound, "not_found"},
	{is(errNoMethod), http.StatusMethodNotAllowed, "method_not_allowed"},
	{is(modules.ErrTooLarge), http.StatusRequestEntityTooLarge, "too_large"},
	{is(errTooLarge), http.StatusRequestEntityTooLarge, "too_large"},
	{as[*host.FuelError](), http.StatusUnprocessableEntity, "fuel_exhausted"},
	{is(host.ErrMemoryLimit), http.StatusUnprocessableEntity, "memory_limit"},
	{is(host.ErrOutputLimit), http.StatusUnprocessableEntity, "output_limit"},
	{is(host.ErrTimeout), http.StatusUnprocessableEntity, "timeout"},
	{as[*host.TrapError](), http.StatusUnprocessableEntity, "trap"},
	{is(host.ErrCallDepth), http.StatusUnprocessableEntity, "trap"},
	{as[*host.ExitError](), http.StatusUnprocessableEntity, "exit_nonzero"},
	{as[*host.TaskError](), http.StatusUnprocessableEntity, "task_error"},
	{is(host.ErrCanceled), http.StatusUnprocessableEntity, "canceled"},
	{is(errUnavailable), http.StatusServiceUnavailable, "unavailable"},
}

// codeOf returns the status and code of err from errorTable.
func codeOf(err error) (int, string) {
	for _, row := range errorTable {
		if row.match(err) {
			return row.status, row.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes one failed request or task.
type ErrorDetail struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	TaskID   string `json:"task_id,omitempty"`
	FuelUsed *int64 `json:"fuel_used,omitempty"`
	// ExitCode is the guest's exit code for exit_nonzero.
	ExitCode *uint32 `json:"exit_code,omitempty"`
	// Logs are the task's captured stderr and log lines (bounded).
	Logs string `json:"logs,omitempty"`
}

// taskFailure carries what a failed task produced to the error handler.
type taskFailure struct {
	err    error
	taskID string
	logs   []byte
	ran    bool // the task ran, so fuelUsed is meaningful
	fuel   int64
}

func (f *taskFailure) Error() string { return f.err.Error() }
func (f *taskFailure) Unwrap() error { return f.err }

// handleError writes err through the error table. It is Echo's
// HTTPErrorHandler, so errors returned by handlers and by Echo itself take
// the same path.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			err = errNoRoute
		case http.StatusMethodNotAllowed:
			err = errNoMethod
		case http.StatusRequestEntityTooLarge:
			err = errTooLarge
		default:
			err = errors.Join(errBadRequest, he)
		}
	}
	status, code := codeOf(err)
	body := ErrorBody{Error: ErrorDetail{Code: code, Message: err.Error()}}
	var tf *taskFailure
	if errors.As(err, &tf) {
		body.Error.TaskID = tf.taskID
		body.Error.Logs = string(tf.logs)
		if tf.ran {
			body.Error.FuelUsed = &tf.fuel
		}
	}
	var ee *host.ExitError
	if errors.As(err, &ee) {
		body.Error.ExitCode = &ee.Code
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		c.Response().Header().Set("Retry-After", strconv.Itoa(1))
	}
	if status == http.StatusInternalServerError {
		s.log.Error("internal error", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	c.JSON(status, body)
}
