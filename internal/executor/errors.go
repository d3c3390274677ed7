package executor

import (
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
)

// Errors of Submit and Do. They and QueueFullError and RateLimitError are
// kinds of internal/errkind, named here for the executor's callers:
// errors.Is and errors.As match through either name.
var (
	// ErrClosed is returned for jobs submitted after Close, and is the
	// cause with which Close cancels jobs it could not drain in time.
	ErrClosed = errkind.ErrExecutorClosed
	// ErrQueueFull is matched by *QueueFullError: the bounded queue had no
	// room for the job. Nothing already accepted is dropped.
	ErrQueueFull = errkind.ErrQueueFull
	// ErrRateLimited is matched by *RateLimitError: a synchronous job's
	// category was over its rate for longer than Config.SyncRateWait.
	ErrRateLimited = errkind.ErrRateLimited
	// ErrInvalidJob is wrapped by errors about a malformed Job, and about
	// one whose memory quota exceeds the whole Config.MemoryBudget.
	ErrInvalidJob = errkind.ErrInvalidJob
	// ErrQueueTimeout is matched by *QueueTimeoutError: the job waited
	// longer than its Job.QueueTimeout to start.
	ErrQueueTimeout = errkind.ErrQueueTimeout
)

// QueueTimeoutError is a job's outcome when it waited longer than its
// Job.QueueTimeout for a worker token; it never ran. It matches
// ErrQueueTimeout with errors.Is.
type QueueTimeoutError struct {
	// Timeout is the job's QueueTimeout.
	Timeout time.Duration
}

func (e *QueueTimeoutError) Error() string {
	return fmt.Sprintf("executor: timed out after %v queued, waiting for a worker", e.Timeout)
}

// Is reports whether target is ErrQueueTimeout.
func (e *QueueTimeoutError) Is(target error) bool { return target == ErrQueueTimeout }

// QueueFullError is returned when the queue is at Config.QueueCapacity.
// It matches ErrQueueFull with errors.Is; RetryAfter estimates when the
// queue will have room.
type QueueFullError = errkind.QueueFullError

// RateLimitError is returned when a synchronous job's category is over its
// rate for longer than Config.SyncRateWait. It matches ErrRateLimited with
// errors.Is; RetryAfter is when the category's bucket will next have a
// token.
type RateLimitError = errkind.RateLimitError
