package node

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/health"

	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/internal/telemetry"
)

// DefaultMinFreeDisk is the free space the data directory's file system
// keeps by default (Config.MinFreeDisk).
const DefaultMinFreeDisk = 64 << 20

// observe is what a node has for being watched: its tracer, its StatsD
// push and its health checks.
type observe struct {
	metrics *metrics.Metrics
	tracer  *telemetry.Tracer
	statsd  *metrics.StatsD // nil: no push
	health  *health.Checker
}

// canaryWait bounds how long the executor's canary job may wait for a
// worker token before the executor check fails.
const canaryWait = time.Second

// newHealth builds the node's health checks: the store takes a write,
// the executor hands a canary job a token within canaryWait (at the top
// priority, so a busy executor preempts a task for it), and the data
// directory's file system has Config.MinFreeDisk free. The store and
// the disk are critical: while either fails the node refuses new work.
func (n *Node) newHealth() {
	checks := []health.Check{
		{Name: "store", Critical: true, Run: func(context.Context) error { return n.db.Probe() }},
		{Name: "executor", Run: (&executorWatch{stats: n.exec.Stats, canary: n.canary, stuckAfter: executorStuckAfter}).check},
	}
	if n.cfg.MinFreeDisk > 0 {
		checks = append(checks, health.DiskCheck(n.cfg.DataDir, uint64(n.cfg.MinFreeDisk)))
	}
	if n.ev != nil {
		w := &outboxWatch{pending: n.ev.deliverer.Pending, cursor: n.ev.deliverer.KeepFrom, stuckAfter: outboxStuckAfter}
		checks = append(checks, health.Check{Name: "events", Run: w.check})
	}
	n.obs.health = health.New(health.Config{Interval: n.cfg.HealthInterval, Logger: n.log}, checks...)
}

// outboxStuckAfter is how long webhook deliveries may be pending with
// the oldest endpoint's cursor standing still before the events check
// fails.
const outboxStuckAfter = 2 * time.Minute

// outboxWatch is the events check: the webhook outbox moves.
type outboxWatch struct {
	pending    func() uint64 // deliveries pending (the outbox depth)
	cursor     func() uint64 // the oldest endpoint's cursor
	stuckAfter time.Duration

	mu    sync.Mutex
	last  uint64    // cursor at the last check
	since time.Time // when it last moved, or the outbox was empty
}

// check fails while deliveries have been pending for stuckAfter with the
// cursor standing still.
func (w *outboxWatch) check(context.Context) error {
	pending, cur, now := w.pending(), w.cursor(), time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if pending == 0 || cur != w.last || w.since.IsZero() {
		w.last, w.since = cur, now
		return nil
	}
	if stuck := now.Sub(w.since); stuck >= w.stuckAfter {
		return fmt.Errorf("%d webhook deliveries pending and none delivered for %v", pending, stuck.Round(time.Second))
	}
	return nil
}

// canary runs a job that does nothing through the executor, at the
// lowest priority: it preempts no task.
func (n *Node) canary(ctx context.Context) error {
	return n.exec.Do(ctx, executor.Job{
		ID: "health-canary", Priority: executor.MinPriority, Category: "health", NUMANode: executor.AnyNode,
		MemoryBytes: 1, QueueTimeout: canaryWait,
		Run: func(context.Context, executor.Yielder) error { return nil },
	})
}

// executorStuckAfter is how long every worker token may be busy with no
// job starting or finishing before the executor check fails.
const executorStuckAfter = time.Minute

// executorWatch is the executor check. With a token free, a canary job
// must get one within canaryWait; with every token busy (the canary
// would only wait, or take a token from a task), the executor must have
// started or finished a job within stuckAfter.
type executorWatch struct {
	stats      func() executor.Stats
	canary     func(context.Context) error
	stuckAfter time.Duration

	mu    sync.Mutex
	moved uint64    // Dispatched + Completed at the last change
	since time.Time // when they last changed
}

func (w *executorWatch) check(ctx context.Context) error {
	st := w.stats()
	now := time.Now()
	w.mu.Lock()
	if moved := st.Dispatched + st.Completed; moved != w.moved || w.since.IsZero() {
		w.moved, w.since = moved, now
	}
	still := now.Sub(w.since)
	w.mu.Unlock()
	if st.Busy < st.Tokens {
		return w.canary(ctx)
	}
	if still >= w.stuckAfter {
		return fmt.Errorf("all %d worker tokens busy and no job started or finished for %v", st.Tokens, still.Round(time.Second))
	}
	return nil
}

// Health returns the node's health checks.
func (n *Node) Health() *health.Checker { return n.obs.health }

// validateObserve checks the tracing, StatsD and health fields.
func (c Config) validateObserve() error {
	if err := c.telemetryConfig().Validate(); err != nil {
		return &FieldError{Field: "OTelEndpoint", Err: err}
	}
	if _, err := metrics.ParseTagFormat(c.StatsDTags); err != nil {
		return &FieldError{Field: "StatsDTags", Err: err}
	}
	switch {
	case c.StatsDInterval < 0:
		return &FieldError{Field: "StatsDInterval", Err: fmt.Errorf("%v must not be negative", c.StatsDInterval)}
	case c.MinFreeDisk < 0:
		return &FieldError{Field: "MinFreeDisk", Err: fmt.Errorf("%d must not be negative", c.MinFreeDisk)}
	case c.HealthInterval < 0:
		return &FieldError{Field: "HealthInterval", Err: fmt.Errorf("%v must not be negative", c.HealthInterval)}
	}
	return nil
}

// telemetryConfig is the tracer's part of c.
func (c Config) telemetryConfig() telemetry.Config {
	return telemetry.Config{Endpoint: c.OTelEndpoint, Protocol: c.OTelProtocol, Sample: c.OTelSample}
}

// newObserve builds the node's tracer (off unless configured) over the
// node's metrics m.
func (n *Node) newObserve(ctx context.Context, m *metrics.Metrics) (err error) {
	n.obs.metrics = m
	n.obs.tracer, err = telemetry.New(ctx, n.cfg.telemetryConfig())
	return err
}

// startObserve starts the StatsD push, if configured.
func (n *Node) startObserve() error {
	if n.cfg.StatsDAddr == "" {
		return nil
	}
	tags, err := metrics.ParseTagFormat(n.cfg.StatsDTags)
	if err != nil {
		return err
	}
	n.obs.statsd, err = n.obs.metrics.StartStatsD(metrics.StatsDConfig{Addr: n.cfg.StatsDAddr,
		Prefix: n.cfg.StatsDPrefix, Tags: tags, Interval: n.cfg.StatsDInterval, Logger: n.log})
	return err
}

// runMiddleware is the run path's chain: the result cache, the
// invocation metrics, then tracing if it is on.
func (n *Node) runMiddleware(m *metrics.Metrics) []tasks.Middleware {
	mw := []tasks.Middleware{tasks.Cache(n.cache), tasks.Metrics(m)}
	if n.obs.tracer.Enabled() {
		mw = append(mw, tasks.Trace(n.obs.tracer))
	}
	return mw
}

// Tracer returns the node's tracer (off unless configured).
func (n *Node) Tracer() *telemetry.Tracer { return n.obs.tracer }

// closeObserve stops the health checks and the StatsD push (after a last push) and flushes the
// tracer's spans.
func (n *Node) closeObserve(ctx context.Context) {
	n.obs.health.Close()
	if n.obs.statsd != nil {
		n.obs.statsd.Close()
	}
	if err := n.obs.tracer.Shutdown(ctx); err != nil {
		n.log.Warn("flushing traces", "err", err)
	}
}
