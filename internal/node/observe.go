package node

import (
	"context"
	"fmt"

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
}

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

// closeObserve stops the StatsD push (after a last push) and flushes the
// tracer's spans.
func (n *Node) closeObserve(ctx context.Context) {
	if n.obs.statsd != nil {
		n.obs.statsd.Close()
	}
	if err := n.obs.tracer.Shutdown(ctx); err != nil {
		n.log.Warn("flushing traces", "err", err)
	}
}
