package errkind

import (
	"context"
	"errors"
	"time"
)

// Codes of the HTTP contract (README.md, "HTTP API v1"): the name of each
// kind of error, as the API answers it and a task's record keeps it.
// CodeInternal is the code of an error of no known kind.
const (
	CodeInvalidRequest   = "invalid_request"
	CodeInvalidModule    = "invalid_module"
	CodeModuleNotFound   = "module_not_found"
	CodeTaskNotFound     = "task_not_found"
	CodeScheduleNotFound = "schedule_not_found"
	CodeBundleNotFound   = "bundle_not_found"
	CodeWorkflowNotFound = "workflow_not_found"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeConflict         = "conflict"
	CodeGone             = "gone"
	CodeTooLarge         = "too_large"
	CodeRequestTimeout   = "request_timeout"
	CodeDataDamaged      = "data_damaged"
	CodeFuelExhausted    = "fuel_exhausted"
	CodeMemoryLimit      = "memory_limit"
	CodeOutputLimit      = "output_limit"
	CodeTimeout          = "timeout"
	CodeTrap             = "trap"
	CodeExitNonzero      = "exit_nonzero"
	CodeTaskError        = "task_error"
	CodeCanceled         = "canceled"
	CodeRateLimited      = "rate_limited"
	CodeQueueFull        = "queue_full"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
)

// kind is one row of the kinds: which errors it matches and their code.
type kind struct {
	match func(error) bool
	code  string
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

// kinds are the kinds of error in the order they are tried: the first
// that matches names the error. Order matters where an error wraps more
// than one kind (a compile timeout is an invalid module that also wraps
// the context's deadline; a task stopped for its deadline may also wrap
// the context's cancellation).
var kinds = []kind{
	{is(ErrInvalidRequest), CodeInvalidRequest},
	{is(ErrModuleInvalidName), CodeInvalidRequest},
	{is(ErrModuleInvalidOption), CodeInvalidRequest},
	{as[*LimitError](), CodeInvalidRequest},
	{is(ErrHostGrant), CodeInvalidRequest},
	{is(ErrNotCacheable), CodeInvalidRequest},
	{is(ErrCacheInvalid), CodeInvalidRequest},
	{is(ErrModuleInvalid), CodeInvalidModule},
	{is(ErrModuleNotFound), CodeModuleNotFound},
	{is(ErrTaskNotFound), CodeTaskNotFound},
	{is(ErrConflict), CodeConflict},
	{is(ErrScheduleNotFound), CodeScheduleNotFound},
	{is(ErrBundleNotFound), CodeBundleNotFound},
	{is(ErrWorkflowNotFound), CodeWorkflowNotFound},
	{is(ErrGone), CodeGone},
	{is(ErrHostClosed), CodeModuleNotFound},
	{is(ErrNoRoute), CodeNotFound},
	{is(ErrNoMethod), CodeMethodNotAllowed},
	{is(ErrModuleTooLarge), CodeTooLarge},
	{is(ErrTooLarge), CodeTooLarge},
	{is(ErrRequestTimeout), CodeRequestTimeout},
	{is(ErrHostCompileTimeout), CodeInvalidModule},
	{is(ErrDamaged), CodeDataDamaged},
	{is(ErrModuleCorrupt), CodeDataDamaged},
	{as[*FuelError](), CodeFuelExhausted},
	{is(ErrHostMemoryLimit), CodeMemoryLimit},
	{is(ErrHostOutputLimit), CodeOutputLimit},
	{is(ErrHostTimeout), CodeTimeout},
	{as[*TrapError](), CodeTrap},
	{is(ErrHostCallDepth), CodeTrap},
	{as[*ExitError](), CodeExitNonzero},
	{as[*TaskError](), CodeTaskError},
	{is(ErrHostCanceled), CodeCanceled},
	{is(context.Canceled), CodeCanceled},
	{is(context.DeadlineExceeded), CodeTimeout},
	{is(ErrInvalidJob), CodeInvalidRequest},
	{is(ErrQueueTimeout), CodeTimeout},
	{is(ErrQueueFull), CodeQueueFull},
	{is(ErrRateLimited), CodeRateLimited},
	{is(ErrExecutorClosed), CodeUnavailable},
	{is(ErrUnavailable), CodeUnavailable},
}

// Code returns the code of err's kind: CodeInternal for an error of no
// known kind, "" for nil. It is what a task's record keeps and what the
// API answers.
func Code(err error) string {
	if err == nil {
		return ""
	}
	for _, k := range kinds {
		if k.match(err) {
			return k.code
		}
	}
	return CodeInternal
}

// RetryAfter returns how long to wait before trying again after err (a
// full queue, a rate limit, an unavailable service), rounded up to whole
// seconds and at least one second: the estimate a *QueueFullError or
// *RateLimitError carries, or one second.
func RetryAfter(err error) time.Duration {
	d := time.Second
	var qf *QueueFullError
	var rl *RateLimitError
	switch {
	case errors.As(err, &qf):
		d = qf.RetryAfter
	case errors.As(err, &rl):
		d = rl.RetryAfter
	}
	return max((d+time.Second-1)/time.Second, 1) * time.Second
}
