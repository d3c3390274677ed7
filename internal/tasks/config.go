package tasks

import (
	"errors"
	"log/slog"
	"time"
)

// Defaults of Config.
const (
	DefaultRetention   = 24 * time.Hour
	DefaultMaxRetries  = 3
	DefaultMaxInFlight = 4096
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 10 * time.Minute
	DefaultLeaseGrace  = 30 * time.Second
	// DefaultTimeout is the deadline assumed for a lease when a task and
	// Config name none.
	DefaultTimeout = 30 * time.Second
)

// Config configures a Service. The zero value is usable: every zero field
// takes its default.
type Config struct {
	// Retention is how long a finished task (and its idempotency key) is
	// kept before garbage collection.
	Retention time.Duration
	// DefaultMaxRetries is a task's max_retries when its Spec has none;
	// 0 means the package's DefaultMaxRetries, a negative value none.
	DefaultMaxRetries int
	// MaxInFlight bounds the attempts handed to the executor at once; the
	// rest wait, durable, in the service's own queue. Keep it below the
	// executor's QueueCapacity so that synchronous invokes find room.
	MaxInFlight int
	// BackoffBase and BackoffMax shape the retry delay: BackoffBase
	// doubled per failed attempt, capped at BackoffMax, with jitter.
	BackoffBase, BackoffMax time.Duration
	// LeaseGrace is added to an attempt's deadline to make its lease.
	LeaseGrace time.Duration
	// Timeout is the deadline of an attempt whose task names none (the
	// host's default), used for the lease.
	Timeout time.Duration
	// Retry decides by error code whether a failed attempt is retried;
	// nil means DefaultRetryPolicy.
	Retry func(code string) bool
	// Logger receives recovery and failure lines; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns a Config with every default filled in.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	switch {
	case c.DefaultMaxRetries == 0:
		c.DefaultMaxRetries = DefaultMaxRetries
	case c.DefaultMaxRetries < 0:
		c.DefaultMaxRetries = 0
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.LeaseGrace == 0 {
		c.LeaseGrace = DefaultLeaseGrace
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retry == nil {
		c.Retry = DefaultRetryPolicy
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports whether c is usable.
func (c Config) Validate() error {
	switch {
	case c.Retention < 0:
		return errors.New("tasks: Retention must not be negative")
	case c.DefaultMaxRetries > MaxRetriesLimit:
		return errors.New("tasks: DefaultMaxRetries out of range")
	case c.MaxInFlight < 0:
		return errors.New("tasks: MaxInFlight must not be negative")
	case c.BackoffBase < 0 || c.BackoffMax < 0 || c.LeaseGrace < 0 || c.Timeout < 0:
		return errors.New("tasks: durations must not be negative")
	}
	return nil
}
