package node

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

// TestRetryableSubmit checks that a schedule submits a due time again
// after exactly the errors the API answers with a 429 or a 5xx.
func TestRetryableSubmit(t *testing.T) {
	for _, err := range []error{
		errcode.ErrInvalidRequest, modules.ErrInvalid, modules.ErrNotFound, tasks.ErrNotFound,
		tasks.ErrConflict, errcode.ErrTooLarge, errcode.ErrDamaged, &host.FuelError{},
		host.ErrMemoryLimit, host.ErrTimeout, &host.TrapError{}, host.ErrCanceled, context.Canceled,
		&executor.QueueFullError{}, &executor.RateLimitError{}, executor.ErrClosed, tasks.ErrClosed,
		errors.New("disk full"),
	} {
		status, code := errcode.Lookup(err)
		want := status == http.StatusTooManyRequests || status >= http.StatusInternalServerError
		if got := retryableSubmit(err); got != want {
			t.Errorf("retryableSubmit(%v) = %v, want %v (%d %s)", err, got, want, status, code)
		}
	}
}
