package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

func TestDefaultRetryPolicy(t *testing.T) {
	for _, tt := range []struct {
		err   error
		retry bool
	}{
		{&host.TrapError{Message: "unreachable"}, true},
		{fmt.Errorf("run: %w", host.ErrCallDepth), true},
		{&host.ExitError{Code: 1}, true},
		{&host.TaskError{Code: 2}, true},
		{host.ErrTimeout, true},
		{context.DeadlineExceeded, true},
		{errkind.ErrUnavailable, true},
		{executor.ErrClosed, true},
		{errors.New("disk on fire"), true},
		{&host.FuelError{Used: 2, Budget: 1}, false},
		{host.ErrMemoryLimit, false},
		{host.ErrOutputLimit, false},
		{host.ErrCanceled, false},
		{context.Canceled, false},
		{modules.ErrNotFound, false},
		{fmt.Errorf("%w: bad magic", modules.ErrInvalid), false},
		{errkind.ErrInvalidRequest, false},
		{errkind.ErrDamaged, false},
		// A compile that ran out of time is an invalid module, whatever
		// else it wraps: the same decision as the code it is recorded with.
		{fmt.Errorf("%w (%w)", host.ErrCompileTimeout, context.DeadlineExceeded), false},
	} {
		if got := tasks.DefaultRetryPolicy(tt.err); got != tt.retry {
			t.Errorf("DefaultRetryPolicy(%v) = %v, want %v (code %s)", tt.err, got, tt.retry, errkind.Code(tt.err))
		}
	}
}
