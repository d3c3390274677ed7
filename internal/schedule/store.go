package schedule

// Store keeps schedules and their runs durably. Implementations are safe
// for concurrent use; each method is atomic.
// Every implementation passes the contract suite
// internal/store/storetest.RunSchedules.
type Store interface {
	// CreateSchedule stores a new schedule, failing with an error wrapping
	// ErrExists if the name is taken.
	CreateSchedule(s Schedule) error
	// SaveSchedules stores the schedules' new states and their new or
	// changed runs (keyed by due time: a run saved again replaces the
	// one of its due time), all in one transaction, keeping at most keep
	// runs per schedule (the newest).
	SaveSchedules(saves []Save, keep int) error
	// DeleteSchedule removes a schedule and its runs, failing with an
	// error wrapping ErrNotFound if there is none.
	DeleteSchedule(name string) error
	// Schedule returns one schedule, or an error wrapping ErrNotFound.
	Schedule(name string) (Schedule, error)
	// Schedules returns every schedule, by name.
	Schedules() ([]Schedule, error)
	// Runs returns up to limit runs of a schedule, newest first (by due
	// time), or an error wrapping ErrNotFound if there is no schedule of
	// that name. A schedule created again after a delete has no runs.
	Runs(name string, limit int) ([]Run, error)
}

// Save is one schedule's state and the runs to record with it.
type Save struct {
	Schedule Schedule
	Runs     []Run
}
