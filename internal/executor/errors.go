package executor

import (
	"errors"
	"fmt"
	"time"
)

// Errors of Submit and Do.
var (
	// ErrClosed is returned for jobs submitted after Close, and is the
	// cause with which Close cancels jobs it could not drain in time.
	ErrClosed = errors.New("executor: closed")
	// ErrQueueFull is matched by *QueueFullError: the bounded queue had no
	// room for the job. Nothing already accepted is dropped.
	ErrQueueFull = errors.New("executor: queue full")
	// ErrRateLimited is matched by *RateLimitError: a synchronous job's
	// category was over its rate for longer than Config.SyncRateWait.
	ErrRateLimited = errors.New("executor: rate limited")
	// ErrInvalidJob is wrapped by errors about a malformed Job, and about
	// one whose memory quota exceeds the whole Config.MemoryBudget.
	ErrInvalidJob = errors.New("executor: invalid job")
	// ErrQueueTimeout is matched by *QueueTimeoutError: the job waited
	// longer than its Job.QueueTimeout to start.
	ErrQueueTimeout = errors.New("executor: queue timeout")
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
// It matches ErrQueueFull with errors.Is.
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
// rate for longer than Config.SyncRateWait. It matches ErrRateLimited with
// errors.Is.
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
