package errkind_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
)

func TestCode(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code string
	}{
		{nil, ""},
		{errors.New("something else"), errkind.CodeInternal},
		{fmt.Errorf("tasks: %w", errkind.ErrInvalidRequest), errkind.CodeInvalidRequest},
		{fmt.Errorf("x: %w", &errkind.FuelError{Used: 2, Budget: 1}), errkind.CodeFuelExhausted},
		{&errkind.TrapError{Message: "unreachable"}, errkind.CodeTrap},
		{errkind.ErrHostCallDepth, errkind.CodeTrap},
		{&errkind.QueueFullError{}, errkind.CodeQueueFull},
		{&errkind.RateLimitError{}, errkind.CodeRateLimited},
		// An error wrapping two kinds is named by the first in order.
		{fmt.Errorf("%w (%w)", errkind.ErrHostCompileTimeout, context.DeadlineExceeded), errkind.CodeInvalidModule},
		{fmt.Errorf("%w: %w", errkind.ErrHostTimeout, context.Canceled), errkind.CodeTimeout},
		{fmt.Errorf("%w: %w", errkind.ErrHostCanceled, context.Canceled), errkind.CodeCanceled},
		{errkind.ErrHostInvalidModule, errkind.CodeInternal},
	} {
		if got := errkind.Code(tt.err); got != tt.code {
			t.Errorf("Code(%v) = %q, want %q", tt.err, got, tt.code)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want time.Duration
	}{
		{&errkind.QueueFullError{RetryAfter: 100 * time.Millisecond}, time.Second},
		{fmt.Errorf("x: %w", &errkind.RateLimitError{RetryAfter: 2500 * time.Millisecond}), 3 * time.Second},
		{errkind.ErrUnavailable, time.Second},
	} {
		if got := errkind.RetryAfter(tt.err); got != tt.want {
			t.Errorf("RetryAfter(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestMatchedByKind(t *testing.T) {
	if !errors.Is(&errkind.QueueFullError{}, errkind.ErrQueueFull) || !errors.Is(&errkind.RateLimitError{}, errkind.ErrRateLimited) {
		t.Error("typed executor errors do not match their sentinels")
	}
	if !errors.Is(errkind.ErrHostCompileTimeout, errkind.ErrHostInvalidModule) {
		t.Error("ErrHostCompileTimeout does not wrap ErrHostInvalidModule")
	}
}
