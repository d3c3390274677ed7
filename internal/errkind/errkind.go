// Package errkind holds the kinds of error that NexusTask's layers raise
// and that others match on: the sentinels and typed errors that decide a
// task's fate (retry, fail, cancel) and the code the API answers. It
// imports only the standard library, so any package can name an error
// kind without linking the package that raises it (bbolt keeps its errors
// in a leaf package for the same reason).
//
// The raising packages keep their exported names as aliases
// (host.ErrTimeout is ErrHostTimeout, host.FuelError is FuelError), so
// errors.Is and errors.As match through either name. Each message keeps
// the prefix of the package that raises it. An error matched only inside
// its own package stays there.
//
// Code names the kind of an error with its code of the HTTP contract;
// internal/errcode adds the HTTP status.
package errkind

import (
	"errors"
	"fmt"
	"time"
)

// Request errors, raised by the server and by the services for a request
// they refuse.
var (
	// ErrInvalidRequest means the request is malformed.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrTooLarge means the request body is over its limit.
	ErrTooLarge = errors.New("request body too large")
	// ErrRequestTimeout means the request body did not arrive in time.
	ErrRequestTimeout = errors.New("request body timed out")
	// ErrUnavailable means the server (or the service asked) is not ready.
	ErrUnavailable = errors.New("server not ready")
	// ErrNoRoute means no endpoint has that path.
	ErrNoRoute = errors.New("no such endpoint")
	// ErrNoMethod means the endpoint does not take that method.
	ErrNoMethod = errors.New("method not allowed")
	// ErrDamaged is matched by every error about stored data that failed
	// its checksum or digest (a task record, a module's bytes): the object
	// is refused, never served with wrong content. internal/store's and
	// modules' damage errors wrap it.
	ErrDamaged = errors.New("stored data is damaged")
)

// Task errors, raised by internal/tasks.
var (
	// ErrTaskNotFound means no task has that id (or it was collected).
	ErrTaskNotFound = errors.New("task not found")
	// ErrConflict means the request does not fit the resource's state
	// (canceling a finished task, retrying a successful one).
	ErrConflict = errors.New("conflict")
)

// Event errors, raised by internal/events and the event log.
var (
	// ErrGone means a cursor is older than the oldest event kept: the
	// events after it were trimmed.
	ErrGone = errors.New("gone")
)

// Schedule errors, raised by internal/schedule.
var (
	// ErrScheduleNotFound means no schedule has that name.
	ErrScheduleNotFound = errors.New("schedule not found")
)

// Workflow errors, raised by internal/workflow.
var (
	// ErrWorkflowNotFound means no workflow has that id.
	ErrWorkflowNotFound = errors.New("workflow not found")
)

// Bundle errors, raised by internal/bundle.
var (
	// ErrBundleNotFound means no bundle (or no such version) has that name.
	ErrBundleNotFound = errors.New("bundle not found")
)

// Module errors, raised by modules' Registry and Store implementations
// (modules.ErrNotFound and the rest).
var (
	// ErrModuleNotFound means no module (or no such version) has that name.
	ErrModuleNotFound = errors.New("modules: not found")
	// ErrModuleInvalidName means the name does not match
	// [a-z0-9][a-z0-9._-]{0,63}.
	ErrModuleInvalidName = errors.New("modules: invalid name")
	// ErrModuleTooLarge means the upload is larger than the registry's
	// MaxBytes.
	ErrModuleTooLarge = errors.New("modules: module too large")
	// ErrModuleInvalid wraps every reason the bytes are not an acceptable
	// module.
	ErrModuleInvalid = errors.New("modules: invalid module")
	// ErrModuleInvalidOption means an upload option (such as the isolation
	// mode) has no valid value.
	ErrModuleInvalidOption = errors.New("modules: invalid option")
	// ErrModuleCorrupt means what the store holds of a module (its record,
	// its bytes) is damaged, so the registry refuses to run it. Uploading
	// the module's bytes again repairs it.
	ErrModuleCorrupt = errors.New("modules: stored module is corrupt")
)

// Cache errors, raised by cache (cache.ErrNotCacheable, cache.ErrInvalid).
var (
	// ErrNotCacheable means a request asked for caching of a task whose
	// result is not a function of the request: its module does not declare
	// itself pure, or it is granted a real clock or a random source.
	ErrNotCacheable = errors.New("cache: task is not cacheable")
	// ErrCacheInvalid means a cache request is malformed: a TTL out of
	// range, a bad tag or key.
	ErrCacheInvalid = errors.New("cache: invalid request")
)

// Errors of host's Prepare and Compile (host.ErrInvalidModule,
// host.ErrCompileTimeout).
var (
	// ErrHostInvalidModule wraps every reason the sandbox refuses a module.
	ErrHostInvalidModule = errors.New("host: invalid module")
	// ErrHostCompileTimeout means preparing or compiling a module did not
	// finish before the deadline of the caller's context. It wraps
	// ErrHostInvalidModule: a module too expensive to compile in the time
	// allowed is refused like any other invalid module. (When the context
	// is canceled instead, the error wraps ErrHostCanceled and
	// context.Canceled: the caller has gone.)
	ErrHostCompileTimeout = fmt.Errorf("%w: compilation did not finish in the time allowed (compile timeout)", ErrHostInvalidModule)
)

// Errors of host's Run (host.ErrTimeout and the rest). Each is returned
// wrapped with context; test with errors.Is.
var (
	// ErrHostTimeout means the task ran past its deadline.
	ErrHostTimeout = errors.New("host: deadline exceeded")
	// ErrHostCanceled means the task (or, from Prepare and Compile, the
	// compilation) was canceled by its caller.
	ErrHostCanceled = errors.New("host: canceled")
	// ErrHostMemoryLimit means the task needed more linear memory than its
	// quota.
	ErrHostMemoryLimit = errors.New("host: memory limit exceeded")
	// ErrHostOutputLimit means the task wrote more output than its cap.
	ErrHostOutputLimit = errors.New("host: output limit exceeded")
	// ErrHostClosed means the module or runtime was closed.
	ErrHostClosed = errors.New("host: closed")
	// ErrHostGrant means the request's grants are malformed or not allowed
	// for the module.
	ErrHostGrant = errors.New("host: grant refused")
	// ErrHostCallDepth means a task nested calls deeper than the
	// instrumenter's call-depth limit (runaway recursion).
	ErrHostCallDepth = errors.New("host: call depth limit exceeded")
)

// FuelError is returned when a task used more fuel than its budget
// (host.FuelError).
type FuelError struct {
	// Used is the fuel the task had used when it was stopped; it is more
	// than Budget by at most one slice boundary's overshoot.
	Used int64
	// Budget is the task's fuel budget.
	Budget int64
}

func (e *FuelError) Error() string {
	return fmt.Sprintf("host: fuel exhausted: used %d of budget %d", e.Used, e.Budget)
}

// ExitError is returned when a wasi-command task exits with a non-zero
// code (host.ExitError).
type ExitError struct {
	Code uint32
}

func (e *ExitError) Error() string { return fmt.Sprintf("host: exit code %d", e.Code) }

// TrapError is returned when a guest traps (unreachable, out-of-bounds
// access, stack overflow, division by zero and the like) (host.TrapError).
type TrapError struct {
	Message string
}

func (e *TrapError) Error() string { return "host: trap: " + e.Message }

// TaskError is returned when a nexus-v1 guest's nexus_run returns non-zero
// (host.TaskError). Message is what the guest passed to error_set, or a
// description of the code.
type TaskError struct {
	Code    int32
	Message string
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("host: task failed (code %d): %s", e.Code, e.Message)
}

// LimitError reports a requested limit above the runtime's maximum
// (host.Config.Max) (host.LimitError). It is the request's fault, not the
// module's.
type LimitError struct {
	// Name is the limit: "memory", "timeout", "output", "log", "fuel" or
	// "table elements".
	Name string
	// Requested is what the request asked for; Max what the server allows.
	Requested int64
	Max       int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("host: requested %s %d exceeds the server maximum %d", e.Name, e.Requested, e.Max)
}

// Errors of the executor's Submit and Do (executor.ErrClosed and the
// rest).
var (
	// ErrExecutorClosed is returned for jobs submitted after the executor
	// closed, and is the cause with which it cancels jobs it could not
	// drain in time.
	ErrExecutorClosed = errors.New("executor: closed")
	// ErrQueueFull is matched by *QueueFullError: the bounded queue had no
	// room for the job. Nothing already accepted is dropped.
	ErrQueueFull = errors.New("executor: queue full")
	// ErrRateLimited is matched by *RateLimitError: a synchronous job's
	// category was over its rate for longer than the executor lets it
	// wait.
	ErrRateLimited = errors.New("executor: rate limited")
	// ErrInvalidJob is wrapped by errors about a malformed job, and about
	// one whose memory quota exceeds the executor's whole memory budget.
	ErrInvalidJob = errors.New("executor: invalid job")
	// ErrQueueTimeout is matched by the executor's *QueueTimeoutError: the
	// job waited longer than its queue timeout to start.
	ErrQueueTimeout = errors.New("executor: queue timeout")
)

// QueueFullError is returned when the executor's queue is at capacity
// (executor.QueueFullError). It matches ErrQueueFull with errors.Is.
type QueueFullError struct {
	// Capacity is the queue's capacity.
	Capacity int
	// RetryAfter estimates when the queue will have room: the jobs ahead
	// divided among the tokens, times the recent mean run time.
	RetryAfter time.Duration
}

func (e *QueueFullError) Error() string {
	return fmt.Sprintf("executor: queue full (%d jobs); retry after %v", e.Capacity, e.RetryAfter)
}

// Is reports whether target is ErrQueueFull.
func (e *QueueFullError) Is(target error) bool { return target == ErrQueueFull }

// RateLimitError is returned when a synchronous job's category is over its
// rate for longer than the executor lets it wait
// (executor.RateLimitError). It matches ErrRateLimited with errors.Is.
type RateLimitError struct {
	// Category is the rate-limited category.
	Category string
	// RetryAfter is when the category's bucket will next have a token, as
	// of the rejection.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("executor: category %q rate limited; retry after %v", e.Category, e.RetryAfter)
}

// Is reports whether target is ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }
