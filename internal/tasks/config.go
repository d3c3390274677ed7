package tasks

import (
	"errors"
	"log/slog"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/clock"
	"github.com/nexustask/nexus/internal/executor"
)

// Defaults of Config.
const (
	DefaultRetention   = 24 * time.Hour
	DefaultMaxRetries  = 3
	DefaultMaxInFlight = 4096
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 10 * time.Minute
	// DefaultLease is how long a running attempt's lease lasts between two
	// renewals (asynq's figure).
	DefaultLease = 30 * time.Second
	// DefaultMaxAwaiting bounds the tasks parked in task_await at once
	// when Config.MaxAwaiting is 0.
	DefaultMaxAwaiting = 10_000
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
	// Lease is how long a running attempt's lease lasts: it is taken when
	// the attempt starts and renewed every Lease/3 while the attempt is
	// alive in this process; a running record whose lease has ended and
	// that this process is not running is requeued (see lease.go).
	Lease time.Duration
	// Cache, if not nil, is the result cache that tasks submitted with a
	// cache_ttl_ms run through; nil runs them without one. It is used only
	// with a Runner that has no Cache middleware: a Runner built with
	// Cache(c) caches through c, as it does for invokes.
	Cache *cache.Cache
	// Retry decides by the attempt's error whether a failed attempt is
	// retried; nil means DefaultRetryPolicy.
	Retry func(err error) bool
	// Logger receives recovery and failure lines; nil means slog.Default().
	Logger *slog.Logger
	// Events, if set, turns on the event log: every write of a task
	// carries the events it produces (events.go), committed with it.
	Events bool
	// Node names this node in the events it publishes.
	Node string
	// Clock drives due times, leases, garbage collection, retry delays
	// and the times recorded in tasks; nil means the real clock. Tests
	// inject a manual one; the executor takes the same kind, so one clock
	// can drive both.
	Clock Clock
	// Bundles, if set, holds the data bundles tasks mount (Spec.Mounts);
	// nil refuses a task with mounts.
	Bundles *bundle.Store
	// MaxAwaiting bounds the tasks parked at once in task_await or
	// task_await_any, each holding its instance's memory but no worker
	// token (spawn.go); past it those calls answer ERR_LIMIT. 0 means
	// DefaultMaxAwaiting.
	MaxAwaiting int
}

// Clock is the time source of a Service: the executor's. Implementations
// must be safe for concurrent use.
type Clock = executor.Clock

// Timer is a pending Clock.AfterFunc call.
type Timer = executor.Timer

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
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.MaxAwaiting == 0 {
		c.MaxAwaiting = DefaultMaxAwaiting
	}
	if c.Retry == nil {
		c.Retry = DefaultRetryPolicy
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
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
	case c.MaxAwaiting < 0:
		return errors.New("tasks: MaxAwaiting must not be negative")
	case c.BackoffBase < 0 || c.BackoffMax < 0 || c.Lease < 0:
		return errors.New("tasks: durations must not be negative")
	case c.Lease != 0 && c.Lease < time.Millisecond:
		return errors.New("tasks: Lease must be at least 1ms")
	}
	return nil
}
