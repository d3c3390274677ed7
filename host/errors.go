package host

import (
	"errors"
	"fmt"
)

// Errors of Prepare and Compile.
var (
	// ErrInvalidModule wraps every reason a module is refused.
	ErrInvalidModule = errors.New("host: invalid module")
	// ErrCompileTimeout means preparing or compiling a module did not
	// finish before the deadline of the caller's context. It wraps
	// ErrInvalidModule: a module too expensive to compile in the time
	// allowed is refused like any other invalid module. (When the context
	// is canceled instead, the error wraps ErrCanceled and
	// context.Canceled: the caller has gone.)
	ErrCompileTimeout = fmt.Errorf("%w: compilation did not finish in the time allowed (compile timeout)", ErrInvalidModule)
)

// Errors of Run. Each is returned wrapped with context; test with errors.Is.
var (
	// ErrTimeout means the task ran past its deadline.
	ErrTimeout = errors.New("host: deadline exceeded")
	// ErrCanceled means the task (or, from Prepare and Compile, the
	// compilation) was canceled by its caller.
	ErrCanceled = errors.New("host: canceled")
	// ErrMemoryLimit means the task needed more linear memory than its quota.
	ErrMemoryLimit = errors.New("host: memory limit exceeded")
	// ErrOutputLimit means the task wrote more output than its cap.
	ErrOutputLimit = errors.New("host: output limit exceeded")
	// ErrClosed means the module or runtime was closed.
	ErrClosed = errors.New("host: closed")
	// ErrGrant means the request's grants are malformed or not allowed for
	// the module.
	ErrGrant = errors.New("host: grant refused")
)

// ExitError is returned when a wasi-command task exits with a non-zero code.
type ExitError struct {
	Code uint32
}

func (e *ExitError) Error() string { return fmt.Sprintf("host: exit code %d", e.Code) }

// TrapError is returned when a guest traps (unreachable, out-of-bounds
// access, stack overflow, division by zero and the like).
type TrapError struct {
	Message string
}

func (e *TrapError) Error() string { return "host: trap: " + e.Message }

// TaskError is returned when a nexus-v1 guest's nexus_run returns non-zero.
// Message is what the guest passed to error_set, or a description of the code.
type TaskError struct {
	Code    int32
	Message string
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("host: task failed (code %d): %s", e.Code, e.Message)
}
