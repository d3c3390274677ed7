package schedule

import (
	"fmt"

	"github.com/nexustask/nexus/internal/errcode"
)

// Errors of the Manager's operations, each wrapping the error table's
// sentinel for its code.
var (
	// ErrNotFound means no schedule has that name (404 schedule_not_found).
	ErrNotFound = fmt.Errorf("schedule: %w", errcode.ErrScheduleNotFound)
	// ErrExists means a schedule with that name already exists (409 conflict).
	ErrExists = fmt.Errorf("schedule: name already taken: %w", errcode.ErrConflict)
	// ErrInvalid means a schedule's definition is malformed (400
	// invalid_request).
	ErrInvalid = fmt.Errorf("schedule: %w", errcode.ErrInvalidRequest)
	// ErrClosed means the Manager is not running (503 unavailable).
	ErrClosed = fmt.Errorf("schedule: scheduler not running: %w", errcode.ErrUnavailable)
)
