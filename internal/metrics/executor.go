package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// executorPriorities is the number of executor priority levels (0–9).
const executorPriorities = 10

// ExecutorMetrics records the task executor's figures. It implements the
// executor's Observer interface (package executor does not import this
// one, nor this one it). Its methods are safe for concurrent use and cheap:
// the per-priority series are resolved once, up front.
type ExecutorMetrics struct {
	depth       [executorPriorities]prometheus.Gauge
	wait        [executorPriorities]prometheus.Observer
	preempted   [executorPriorities]prometheus.Counter
	running     prometheus.Gauge
	utilization prometheus.Gauge
	tokens      prometheus.Gauge
	rateLimited *prometheus.CounterVec
	queueFull   prometheus.Counter
	collectors  []prometheus.Collector
}

// RegisterExecutor creates the executor's instruments and registers them
// on m's registry: nexus_executor_queue_depth{priority},
// nexus_executor_running, nexus_executor_tokens,
// nexus_executor_token_utilization,
// nexus_executor_preemptions_total{priority},
// nexus_executor_queue_wait_seconds{priority},
// nexus_executor_rate_limited_total{category} and
// nexus_executor_queue_full_total. Call it once per Metrics; a second call
// fails because the names are taken.
func (m *Metrics) RegisterExecutor() (*ExecutorMetrics, error) {
	x := newExecutorMetrics()
	for _, c := range x.collectors {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func newExecutorMetrics() *ExecutorMetrics {
	depth := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "nexus_executor_queue_depth",
		Help: "Jobs waiting for a worker token (new and preempted), by priority.",
	}, []string{"priority"})
	wait := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "nexus_executor_queue_wait_seconds",
		Help:    "Time from queueing to first getting a worker token, by priority.",
		Buckets: prometheus.ExponentialBuckets(10e-6, 3, 16), // 10µs … ~3.3 min
	}, []string{"priority"})
	preempted := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nexus_executor_preemptions_total",
		Help: "Running jobs that gave their token to a waiting job, by the preempted job's priority.",
	}, []string{"priority"})
	x := &ExecutorMetrics{
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nexus_executor_running",
			Help: "Jobs holding a worker token.",
		}),
		tokens: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nexus_executor_tokens",
			Help: "Worker tokens (one per pinned CPU slot).",
		}),
		utilization: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nexus_executor_token_utilization",
			Help: "Fraction of worker tokens held by running jobs.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nexus_executor_rate_limited_total",
			Help: "Synchronous jobs refused for being over their category's rate, by category.",
		}, []string{"category"}),
		queueFull: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nexus_executor_queue_full_total",
			Help: "Jobs refused because the executor's queue was full.",
		}),
	}
	for p := range executorPriorities {
		l := strconv.Itoa(p)
		x.depth[p] = depth.WithLabelValues(l)
		x.wait[p] = wait.WithLabelValues(l)
		x.preempted[p] = preempted.WithLabelValues(l)
	}
	x.collectors = []prometheus.Collector{depth, wait, preempted, x.running, x.tokens, x.utilization, x.rateLimited, x.queueFull}
	return x
}

func valid(priority int) bool { return priority >= 0 && priority < executorPriorities }

// QueueDepth sets the jobs waiting at priority.
func (x *ExecutorMetrics) QueueDepth(priority, depth int) {
	if valid(priority) {
		x.depth[priority].Set(float64(depth))
	}
}

// Running sets the jobs holding a token.
func (x *ExecutorMetrics) Running(n int) { x.running.Set(float64(n)) }

// TokenUtilization sets the tokens and the fraction of them busy.
func (x *ExecutorMetrics) TokenUtilization(busy, total int) {
	x.tokens.Set(float64(total))
	if total > 0 {
		x.utilization.Set(float64(busy) / float64(total))
	}
}

// Preempted counts a preemption of a job of priority.
func (x *ExecutorMetrics) Preempted(priority int) {
	if valid(priority) {
		x.preempted[priority].Inc()
	}
}

// QueueWait records a job's wait for its first token.
func (x *ExecutorMetrics) QueueWait(priority int, wait time.Duration) {
	if valid(priority) {
		x.wait[priority].Observe(wait.Seconds())
	}
}

// RateLimited counts a synchronous job of category refused by its rate
// limit. Only categories with a configured rate are ever refused, so the
// label's values are bounded by the configuration.
func (x *ExecutorMetrics) RateLimited(category string) {
	x.rateLimited.WithLabelValues(category).Inc()
}

// QueueFull counts a job refused because the queue was full.
func (x *ExecutorMetrics) QueueFull() { x.queueFull.Inc() }
