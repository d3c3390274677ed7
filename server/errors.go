package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/tasks"
)

// Errors raised by the server itself; their codes are in errcode's table.
var (
	errBadRequest  = errcode.ErrInvalidRequest
	errTooLarge    = errcode.ErrTooLarge
	errUnavailable = errcode.ErrUnavailable
	errNoRoute     = errcode.ErrNoRoute
	errNoMethod    = errcode.ErrNoMethod
)

// codeOf returns the status and code of err from the one error table.
func codeOf(err error) (int, string) { return errcode.Lookup(err) }

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
	// Output is the end of what the task wrote to its output (stdout)
	// before it failed, as text like Logs: at most tasks.OutputTailBytes
	// (4 KiB); OutputTruncated says the output was longer.
	Output          string `json:"output,omitempty"`
	OutputTruncated bool   `json:"output_truncated,omitempty"`
	// Oldest is the id of the oldest event kept, for 410 gone.
	Oldest string `json:"oldest,omitempty"`
}

// taskFailure carries what a failed task produced to the error handler.
type taskFailure struct {
	err    error
	taskID string
	logs   []byte
	output []byte // what the task wrote before failing, whole
	ran    bool   // the task ran, so fuelUsed is meaningful
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
		tail, cut := tasks.OutputTail(tf.output)
		body.Error.Output, body.Error.OutputTruncated = string(tail), cut
		if tf.ran {
			body.Error.FuelUsed = &tf.fuel
		}
	}
	var gone *events.GoneError
	if errors.As(err, &gone) {
		body.Error.Oldest = gone.Oldest
	}
	var ee *host.ExitError
	if errors.As(err, &ee) {
		body.Error.ExitCode = &ee.Code
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(errcode.RetryAfter(err)/time.Second)))
	}
	if status == http.StatusRequestTimeout {
		// The rest of the body is not coming; the connection is done.
		c.Response().Header().Set("Connection", "close")
	}
	if status == http.StatusInternalServerError {
		if pe := (*host.PanicError)(nil); errors.As(err, &pe) {
			s.log.Error("internal error: host function panicked", "method", c.Request().Method, "path", c.Request().URL.Path,
				"err", err, "stack", string(pe.Stack))
		} else {
			s.log.Error("internal error", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	c.JSON(status, body)
}
