package tasks

import (
	"math/rand/v2"
	"time"

	"github.com/nexustask/nexus/internal/errcode"
)

// DefaultRetryPolicy retries failures that may pass on another attempt
// (trap, exit_nonzero, timeout, task_error, internal and unavailable) and
// not those that will fail the same way again: a deterministic budget
// (fuel_exhausted, memory_limit, output_limit), a bad request or module
// (invalid_*, module_not_found) or a cancellation.
func DefaultRetryPolicy(code string) bool {
	switch code {
	case errcode.Trap, errcode.ExitNonzero, errcode.Timeout, errcode.TaskError,
		errcode.Internal, errcode.Unavailable:
		return true
	}
	return false
}

// backoff is the delay before retry n (1 for the first retry): base
// doubled per retry, capped, with "equal jitter" (half fixed, half random)
// so that tasks failing together do not retry together.
func backoff(n int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}
