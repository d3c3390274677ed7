package errcode_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("wrapped: %w", errcode.ErrInvalidRequest), 400, errcode.InvalidRequest},
		{modules.ErrInvalidName, 400, errcode.InvalidRequest},
		{&host.LimitError{Name: "fuel"}, 400, errcode.InvalidRequest},
		{host.ErrGrant, 400, errcode.InvalidRequest},
		{fmt.Errorf("%w: truncated", modules.ErrInvalid), 400, errcode.InvalidModule},
		{modules.ErrNotFound, 404, errcode.ModuleNotFound},
		{host.ErrClosed, 404, errcode.ModuleNotFound},
		{modules.ErrTooLarge, 413, errcode.TooLarge},
		{&host.FuelError{Used: 2, Budget: 1}, 422, errcode.FuelExhausted},
		{host.ErrMemoryLimit, 422, errcode.MemoryLimit},
		{host.ErrOutputLimit, 422, errcode.OutputLimit},
		{host.ErrTimeout, 422, errcode.Timeout},
		{&host.TrapError{Message: "unreachable"}, 422, errcode.Trap},
		{host.ErrCallDepth, 422, errcode.Trap},
		{&host.ExitError{Code: 3}, 422, errcode.ExitNonzero},
		{&host.TaskError{Code: 1}, 422, errcode.TaskError},
		{host.ErrCanceled, 422, errcode.Canceled},
		{errcode.ErrUnavailable, 503, errcode.Unavailable},
		{errors.New("something else"), 500, errcode.Internal},
	}
	for _, tt := range tests {
		status, code := errcode.Lookup(tt.err)
		if status != tt.status || code != tt.code {
			t.Errorf("Lookup(%v) = %d %s, want %d %s", tt.err, status, code, tt.status, tt.code)
		}
	}
	if errcode.Code(nil) != "" {
		t.Error("Code(nil) is not empty")
	}
	if s, _ := errcode.Lookup(errcode.ErrNoMethod); s != http.StatusMethodNotAllowed {
		t.Errorf("ErrNoMethod status %d", s)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want time.Duration
	}{
		{&executor.QueueFullError{RetryAfter: 100 * time.Millisecond}, time.Second},
		{&executor.RateLimitError{RetryAfter: 2500 * time.Millisecond}, 3 * time.Second},
		{fmt.Errorf("x: %w", &executor.RateLimitError{RetryAfter: 2 * time.Second}), 2 * time.Second},
		{errcode.ErrUnavailable, time.Second},
	} {
		if got := errcode.RetryAfter(tt.err); got != tt.want {
			t.Errorf("RetryAfter(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if s, c := errcode.Lookup(&executor.QueueFullError{}); s != 429 || c != errcode.QueueFull {
		t.Errorf("queue full: %d %s", s, c)
	}
	if s, c := errcode.Lookup(&executor.RateLimitError{}); s != 429 || c != errcode.RateLimited {
		t.Errorf("rate limited: %d %s", s, c)
	}
}

// TestEveryRow pins each row of the table: an error of every kind the API
// reports, with the status and code it answers.
func TestEveryRow(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{errcode.ErrInvalidRequest, 400, errcode.InvalidRequest},
		{modules.ErrInvalidName, 400, errcode.InvalidRequest},
		{modules.ErrInvalidOption, 400, errcode.InvalidRequest},
		{fmt.Errorf("x: %w", &host.LimitError{Name: "memory"}), 400, errcode.InvalidRequest},
		{host.ErrGrant, 400, errcode.InvalidRequest},
		{cache.ErrNotCacheable, 400, errcode.InvalidRequest},
		{cache.ErrInvalid, 400, errcode.InvalidRequest},
		{modules.ErrInvalid, 400, errcode.InvalidModule},
		{modules.ErrNotFound, 404, errcode.ModuleNotFound},
		{errcode.ErrTaskNotFound, 404, errcode.TaskNotFound},
		{errcode.ErrConflict, 409, errcode.Conflict},
		{errcode.ErrScheduleNotFound, 404, errcode.ScheduleNotFound},
		{errcode.ErrBundleNotFound, 404, errcode.BundleNotFound},
		{events.ErrGone, 410, errcode.Gone},
		{&events.GoneError{Cursor: "1", Oldest: "2"}, 410, errcode.Gone},
		{events.ErrInvalidFilter, 400, errcode.InvalidRequest},
		{host.ErrClosed, 404, errcode.ModuleNotFound},
		{errcode.ErrNoRoute, 404, errcode.NotFound},
		{errcode.ErrNoMethod, 405, errcode.MethodNotAllowed},
		{modules.ErrTooLarge, 413, errcode.TooLarge},
		{errcode.ErrTooLarge, 413, errcode.TooLarge},
		{errcode.ErrRequestTimeout, 408, errcode.RequestTimeout},
		{host.ErrCompileTimeout, 400, errcode.InvalidModule},
		{fmt.Errorf("%w (%w)", host.ErrCompileTimeout, context.DeadlineExceeded), 400, errcode.InvalidModule},
		{host.ErrInvalidModule, 500, errcode.Internal},
		{errcode.ErrDamaged, 500, errcode.DataDamaged},
		{modules.ErrCorrupt, 500, errcode.DataDamaged},
		{&host.FuelError{Used: 2, Budget: 1}, 422, errcode.FuelExhausted},
		{host.ErrMemoryLimit, 422, errcode.MemoryLimit},
		{host.ErrOutputLimit, 422, errcode.OutputLimit},
		{host.ErrTimeout, 422, errcode.Timeout},
		{&host.TrapError{Message: "unreachable"}, 422, errcode.Trap},
		{host.ErrCallDepth, 422, errcode.Trap},
		{&host.ExitError{Code: 3}, 422, errcode.ExitNonzero},
		{&host.TaskError{Code: 1}, 422, errcode.TaskError},
		{host.ErrCanceled, 422, errcode.Canceled},
		{fmt.Errorf("%w: %w", host.ErrCanceled, context.Canceled), 422, errcode.Canceled},
		{context.Canceled, 422, errcode.Canceled},
		{context.DeadlineExceeded, 422, errcode.Timeout},
		{fmt.Errorf("%w: %w", host.ErrTimeout, context.Canceled), 422, errcode.Timeout},
		{executor.ErrInvalidJob, 400, errcode.InvalidRequest},
		{&executor.QueueTimeoutError{Timeout: time.Second}, 422, errcode.Timeout},
		{&executor.QueueFullError{}, 429, errcode.QueueFull},
		{&executor.RateLimitError{}, 429, errcode.RateLimited},
		{executor.ErrClosed, 503, errcode.Unavailable},
		{errcode.ErrUnavailable, 503, errcode.Unavailable},
		{schedule.ErrNotFound, 404, errcode.ScheduleNotFound},
		{schedule.ErrExists, 409, errcode.Conflict},
		{schedule.ErrInvalid, 400, errcode.InvalidRequest},
		{schedule.ErrClosed, 503, errcode.Unavailable},
		{tasks.ErrNotFound, 404, errcode.TaskNotFound},
		{tasks.ErrClosed, 503, errcode.Unavailable},
		{store.ErrCorrupt, 500, errcode.DataDamaged},
		{&store.CorruptError{Bucket: "tasks", Key: "k", Reason: "checksum mismatch"}, 500, errcode.DataDamaged},
		{errors.New("something else"), 500, errcode.Internal},
	}
	for _, tt := range tests {
		status, code := errcode.Lookup(tt.err)
		if status != tt.status || code != tt.code {
			t.Errorf("Lookup(%v) = %d %s, want %d %s", tt.err, status, code, tt.status, tt.code)
		}
		if got := errcode.StatusOf(code); got != tt.status {
			t.Errorf("StatusOf(%s) = %d, want %d", code, got, tt.status)
		}
	}
	if got := errcode.StatusOf("no_such_code"); got != 500 {
		t.Errorf("StatusOf(no_such_code) = %d, want 500", got)
	}
}

// TestMessages pins the messages of the errors the table matches: users
// and tests match on them.
func TestMessages(t *testing.T) {
	for err, want := range map[error]string{
		errcode.ErrInvalidRequest:              "invalid request",
		errcode.ErrTooLarge:                    "request body too large",
		errcode.ErrDamaged:                     "stored data is damaged",
		errcode.ErrRequestTimeout:              "request body timed out",
		errcode.ErrUnavailable:                 "server not ready",
		errcode.ErrNoRoute:                     "no such endpoint",
		errcode.ErrNoMethod:                    "method not allowed",
		errcode.ErrTaskNotFound:                "task not found",
		errcode.ErrConflict:                    "conflict",
		errcode.ErrScheduleNotFound:            "schedule not found",
		errcode.ErrBundleNotFound:              "bundle not found",
		events.ErrGone:                         "events: gone",
		events.ErrInvalidFilter:                "events: invalid filter: invalid request",
		modules.ErrNotFound:                    "modules: not found",
		modules.ErrInvalidName:                 "modules: invalid name",
		modules.ErrTooLarge:                    "modules: module too large",
		modules.ErrInvalid:                     "modules: invalid module",
		modules.ErrInvalidOption:               "modules: invalid option",
		modules.ErrCorrupt:                     "modules: stored module is corrupt",
		cache.ErrNotCacheable:                  "cache: task is not cacheable",
		cache.ErrInvalid:                       "cache: invalid request",
		host.ErrInvalidModule:                  "host: invalid module",
		host.ErrCompileTimeout:                 "host: invalid module: compilation did not finish in the time allowed (compile timeout)",
		host.ErrTimeout:                        "host: deadline exceeded",
		host.ErrCanceled:                       "host: canceled",
		host.ErrMemoryLimit:                    "host: memory limit exceeded",
		host.ErrOutputLimit:                    "host: output limit exceeded",
		host.ErrClosed:                         "host: closed",
		host.ErrGrant:                          "host: grant refused",
		host.ErrCallDepth:                      "host: call depth limit exceeded",
		&host.FuelError{Used: 3, Budget: 2}:    "host: fuel exhausted: used 3 of budget 2",
		&host.TrapError{Message: "x"}:          "host: trap: x",
		&host.ExitError{Code: 2}:               "host: exit code 2",
		&host.TaskError{Code: 1, Message: "m"}: "host: task failed (code 1): m",
		&host.LimitError{Name: "fuel", Requested: 2, Max: 1}: "host: requested fuel 2 exceeds the server maximum 1",
		executor.ErrClosed:       "executor: closed",
		executor.ErrQueueFull:    "executor: queue full",
		executor.ErrRateLimited:  "executor: rate limited",
		executor.ErrInvalidJob:   "executor: invalid job",
		executor.ErrQueueTimeout: "executor: queue timeout",
		&executor.QueueFullError{Capacity: 3, RetryAfter: time.Second}:   "executor: queue full (3 jobs); retry after 1s",
		&executor.RateLimitError{Category: "c", RetryAfter: time.Second}: "executor: category \"c\" rate limited; retry after 1s",
		&executor.QueueTimeoutError{Timeout: time.Second}:                "executor: timed out after 1s queued, waiting for a worker",
	} {
		if got := err.Error(); got != want {
			t.Errorf("message %q, want %q", got, want)
		}
	}
}
