package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
)

// Defaults of Config.
const (
	DefaultInterval = 5 * time.Second
	DefaultTimeout  = 2 * time.Second
)

// Statuses of a check and of a Report.
const (
	StatusOK      = "ok"
	StatusFailing = "failing"
	StatusPending = "pending" // not run yet
)

// Check is one health check.
type Check struct {
	// Name names the check in reports: store, executor, disk, …
	Name string
	// Run performs the check: nil means healthy. It gets a context with
	// the check's Timeout; a Run that overruns it fails the check (and is
	// left to return on its own).
	Run func(ctx context.Context) error
	// Timeout bounds one run; 0 means DefaultTimeout.
	Timeout time.Duration
	// Critical checks refuse new work while they fail.
	Critical bool
}

// Status is a check's state after its last run.
type Status struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Critical bool   `json:"critical"`
	// LatencyMs is how long the last run took, in milliseconds.
	LatencyMs float64   `json:"latency_ms"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	// LastError is the last failure's error and LastErrorAt its time,
	// kept after the check passes again.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Failures counts the consecutive failed runs up to now.
	Failures int `json:"consecutive_failures,omitempty"`
}

// Report is every check's Status and the overall status: ok, or failing
// if a critical check fails (a failing check that is not critical makes
// it "degraded").
type Report struct {
	Status string   `json:"status"`
	Checks []Status `json:"checks"`
}

// Config configures a Checker.
type Config struct {
	// Interval is the time between two rounds; 0 means DefaultInterval.
	Interval time.Duration
	// Logger receives a line when a check starts or stops failing; nil
	// means slog.Default().
	Logger *slog.Logger
}

// Checker runs checks. Its methods are safe for concurrent use.
type Checker struct {
	cfg    Config
	checks []Check

	mu      sync.Mutex
	status  []Status
	faults  map[string]error // injected by InjectFault
	lastRun time.Time        // end of the last round

	round   sync.Mutex // one round at a time
	started atomic.Bool
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// New returns a Checker of checks, not running until Start.
func New(cfg Config, checks ...Check) *Checker {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Checker{cfg: cfg, checks: checks, status: make([]Status, len(checks)), faults: map[string]error{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for i, ch := range checks {
		if c.checks[i].Timeout <= 0 {
			c.checks[i].Timeout = DefaultTimeout
		}
		c.status[i] = Status{Name: ch.Name, Status: StatusPending, Critical: ch.Critical}
	}
	return c
}

// Start runs a round now, then one every interval until Close.
func (c *Checker) Start() {
	c.started.Store(true)
	go func() {
		defer close(c.done)
		t := time.NewTicker(c.cfg.Interval)
		defer t.Stop()
		for {
			c.RunNow(context.Background())
			select {
			case <-t.C:
			case <-c.stop:
				return
			}
		}
	}()
}

// Close stops the rounds; a round under way finishes first.
func (c *Checker) Close() {
	c.once.Do(func() {
		close(c.stop)
		if c.started.Load() {
			<-c.done
		}
	})
}

// RunNow runs every check now, together, records their outcomes and
// returns the report.
func (c *Checker) RunNow(ctx context.Context) Report {
	c.round.Lock()
	defer c.round.Unlock()
	results := make([]Status, len(c.checks))
	var wg sync.WaitGroup
	for i, ch := range c.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.run(ctx, ch)
		}()
	}
	wg.Wait()
	c.mu.Lock()
	for i, r := range results {
		prev := c.status[i]
		if r.Status == StatusFailing {
			r.Failures, r.LastErrorAt = prev.Failures+1, r.CheckedAt
		} else {
			r.LastError, r.LastErrorAt = prev.LastError, prev.LastErrorAt
		}
		if (prev.Status == StatusFailing) != (r.Status == StatusFailing) {
			if r.Status == StatusFailing {
				c.cfg.Logger.Error("health check failing", "check", r.Name, "critical", r.Critical, "err", r.LastError)
			} else {
				c.cfg.Logger.Info("health check passing again", "check", r.Name)
			}
		}
		c.status[i] = r
	}
	c.lastRun = time.Now()
	c.mu.Unlock()
	return c.Report()
}

// run runs one check under its timeout.
func (c *Checker) run(ctx context.Context, ch Check) Status {
	ctx, cancel := context.WithTimeout(ctx, ch.Timeout)
	defer cancel()
	start := time.Now()
	err := c.fault(ch.Name)
	if err == nil {
		done := make(chan error, 1)
		go func() { done <- safeRun(ctx, ch.Run) }()
		select {
		case err = <-done:
		case <-ctx.Done():
			err = fmt.Errorf("no answer within %v", ch.Timeout)
		}
	}
	end := time.Now()
	s := Status{Name: ch.Name, Status: StatusOK, Critical: ch.Critical,
		LatencyMs: float64(end.Sub(start).Microseconds()) / 1000, CheckedAt: end}
	if err != nil {
		s.Status, s.LastError = StatusFailing, err.Error()
	}
	return s
}

// safeRun runs f, turning a panic into an error.
func safeRun(ctx context.Context, f func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("check panicked: %v", v)
		}
	}()
	return f(ctx)
}

// Report returns the checks' last statuses.
func (c *Checker) Report() Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := Report{Status: StatusOK, Checks: make([]Status, len(c.status))}
	copy(r.Checks, c.status)
	for _, s := range c.status {
		switch {
		case s.Status == StatusFailing && s.Critical:
			r.Status = StatusFailing
		case s.Status == StatusFailing && r.Status == StatusOK:
			r.Status = "degraded"
		}
	}
	return r
}

// ErrRefused is wrapped by Refusal's error (with errkind.ErrUnavailable).
var ErrRefused = errors.New("health: refusing new work")

// Refusal returns nil while every critical check passes (or has not run),
// otherwise an error of kind errkind.ErrUnavailable naming the failing
// check and its error.
func (c *Checker) Refusal() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.status {
		if s.Critical && s.Status == StatusFailing {
			return fmt.Errorf("%w: %w: health check %s failing: %s", errkind.ErrUnavailable, ErrRefused, s.Name, s.LastError)
		}
	}
	return nil
}

// Alive reports whether the rounds run: the last one ended within three
// intervals (or none was due yet). A stuck round makes it false.
func (c *Checker) Alive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastRun.IsZero() || time.Since(c.lastRun) < 3*c.cfg.Interval+time.Duration(len(c.checks))*DefaultTimeout
}

// InjectFault makes check name fail with err (nil: run for real again)
// from its next run on: the seam through which tests inject a store or
// disk failure.
func (c *Checker) InjectFault(name string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		delete(c.faults, name)
		return
	}
	c.faults[name] = err
}

func (c *Checker) fault(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.faults[name]
}
