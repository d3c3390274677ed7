package host

import "github.com/nexustask/nexus/internal/errkind"

// The errors below are kinds of internal/errkind, named here for host's
// callers: errors.Is and errors.As match through either name.

// Errors of Prepare and Compile.
var (
	// ErrInvalidModule wraps every reason a module is refused.
	ErrInvalidModule = errkind.ErrHostInvalidModule
	// ErrCompileTimeout means preparing or compiling a module did not
	// finish before the deadline of the caller's context. It wraps
	// ErrInvalidModule: a module too expensive to compile in the time
	// allowed is refused like any other invalid module. (When the context
	// is canceled instead, the error wraps ErrCanceled and
	// context.Canceled: the caller has gone.)
	ErrCompileTimeout = errkind.ErrHostCompileTimeout
)

// Errors of Run. Each is returned wrapped with context; test with errors.Is.
var (
	// ErrTimeout means the task ran past its deadline.
	ErrTimeout = errkind.ErrHostTimeout
	// ErrCanceled means the task (or, from Prepare and Compile, the
	// compilation) was canceled by its caller.
	ErrCanceled = errkind.ErrHostCanceled
	// ErrMemoryLimit means the task needed more linear memory than its quota.
	ErrMemoryLimit = errkind.ErrHostMemoryLimit
	// ErrOutputLimit means the task wrote more output than its cap.
	ErrOutputLimit = errkind.ErrHostOutputLimit
	// ErrClosed means the module or runtime was closed.
	ErrClosed = errkind.ErrHostClosed
	// ErrGrant means the request's grants are malformed or not allowed for
	// the module.
	ErrGrant = errkind.ErrHostGrant
)

// ExitError is returned when a wasi-command task exits with a non-zero code.
type ExitError = errkind.ExitError

// TrapError is returned when a guest traps (unreachable, out-of-bounds
// access, stack overflow, division by zero and the like).
type TrapError = errkind.TrapError

// TaskError is returned when a nexus-v1 guest's nexus_run returns non-zero.
// Message is what the guest passed to error_set, or a description of the code.
type TaskError = errkind.TaskError
