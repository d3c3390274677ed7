package errcode_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/executor"
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
