package schedule

import (
	"fmt"

	"github.com/nexustask/nexus/internal/errkind"
)

// Errors of the Manager's operations, each wrapping the error kind
// (internal/errkind) that gives its code.
var (
	// ErrNotFound means no schedule has that name (404 schedule_not_found).
	ErrNotFound = fmt.Errorf("schedule: %w", errkind.ErrScheduleNotFound)
	// ErrExists means a schedule with that name already exists (409 conflict).
	ErrExists = fmt.Errorf("schedule: name already taken: %w", errkind.ErrConflict)
	// ErrInvalid means a schedule's definition is malformed (400
	// invalid_request).
	ErrInvalid = fmt.Errorf("schedule: %w", errkind.ErrInvalidRequest)
	// ErrClosed means the Manager is not running (503 unavailable).
	ErrClosed = fmt.Errorf("schedule: scheduler not running: %w", errkind.ErrUnavailable)
)
