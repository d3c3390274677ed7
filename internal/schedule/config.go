package schedule

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nexustask/nexus/internal/clock"
)

// Config configures a Manager. The zero value of each field means its
// default.
type Config struct {
	// MinEvery is the shortest interval an every schedule may have;
	// default 1s.
	MinEvery time.Duration
	// KeepRuns is how many runs are kept per schedule; default 100.
	KeepRuns int
	// MaxCatchUp bounds how many missed due times CatchUpAll fires after a
	// restart; default 100.
	MaxCatchUp int
	// RetryBackoff is the first wait before retrying a failed
	// submission or store write, doubled up to 30 s; default 100 ms.
	RetryBackoff time.Duration
	// Retryable reports whether a Submit error is transient (the due time
	// is submitted again later) or permanent (it is recorded as a failed
	// run). Nil means every error is permanent.
	Retryable func(error) bool
	// ValidateTemplate checks a task template when a schedule is created;
	// nil accepts any JSON object. Its errors are returned as they are.
	ValidateTemplate func(json.RawMessage) error
	// Logger receives the scheduler's logs; nil means slog.Default().
	Logger *slog.Logger
	// Clock drives due times, retry delays and the times recorded in
	// schedules and runs; nil means the real clock. Tests inject a manual
	// one.
	Clock Clock
}

// Clock is the time source of a Manager (internal/clock).
type Clock = clock.Clock

// Timer is a pending Clock.AfterFunc call.
type Timer = clock.Timer

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		MinEvery:     time.Second,
		KeepRuns:     100,
		MaxCatchUp:   100,
		RetryBackoff: 100 * time.Millisecond,
		Logger:       slog.Default(),
		Clock:        clock.Real{},
	}
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MinEvery == 0 {
		c.MinEvery = d.MinEvery
	}
	if c.KeepRuns == 0 {
		c.KeepRuns = d.KeepRuns
	}
	if c.MaxCatchUp == 0 {
		c.MaxCatchUp = d.MaxCatchUp
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = d.RetryBackoff
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	return c
}

// Validate reports a field out of range.
func (c Config) Validate() error {
	switch {
	case c.MinEvery < 0:
		return fmt.Errorf("schedule: MinEvery %s is negative", c.MinEvery)
	case c.KeepRuns < 0 || c.MaxCatchUp < 0:
		return fmt.Errorf("schedule: KeepRuns and MaxCatchUp must not be negative")
	case c.RetryBackoff < 0:
		return fmt.Errorf("schedule: RetryBackoff %s is negative", c.RetryBackoff)
	}
	return nil
}
