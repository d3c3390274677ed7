package schedule

import (
	"context"
	"encoding/json"
	"time"
)

// Submitter is the task system as the scheduler sees it. Implementations
// are safe for concurrent use.
type Submitter interface {
	// Submit enqueues one run of a schedule's task template for due time
	// due, with idempotency key key, and returns the task's id. A second
	// call with the same key must return the same id and enqueue nothing.
	Submit(ctx context.Context, template json.RawMessage, key string, due time.Time) (taskID string, err error)
	// Done reports whether the task has reached a terminal state.
	Done(ctx context.Context, taskID string) (bool, error)
	// Wait returns once the task has reached a terminal state (or is no
	// longer kept), or with ctx's error. A buffer_one schedule waits for
	// its running tasks with it instead of polling Done.
	Wait(ctx context.Context, taskID string) error
}
