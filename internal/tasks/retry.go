package tasks

import (
	"math/rand/v2"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
)

// DefaultRetryPolicy retries failures that may pass on another attempt
// (a trap, a non-zero exit, a timeout, a task error, an error of no known
// kind, an unavailable service) and not those that will fail the same way
// again: a deterministic budget (fuel, memory, output), a bad request or
// module, a missing module or a cancellation. It keys on err's kind as
// errkind.Code names it, so the decision and the code the task's record
// shows come from the same match.
func DefaultRetryPolicy(err error) bool {
	switch errkind.Code(err) {
	case errkind.CodeTrap, errkind.CodeExitNonzero, errkind.CodeTimeout, errkind.CodeTaskError,
		errkind.CodeInternal, errkind.CodeUnavailable:
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
