// Package metrics holds NexusTask's Prometheus instruments. It is the only
// package that imports the Prometheus client; others record through its
// methods, which are safe for concurrent use.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry of NexusTask instruments.
type Metrics struct {
	reg         *prometheus.Registry
	invocations *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	fuel        *prometheus.HistogramVec
	panics      *prometheus.CounterVec
	refused     prometheus.Counter
}

// New returns a registry with the Go runtime and process collectors, the
// invocation instruments, and nexus_modules reading modules() at scrape.
func New(modules func() int) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nexus_invocations_total",
			Help: "Runs of a guest, synchronous invokes and durable attempts alike, by module and outcome (ok or an error code).",
		}, []string{"module", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "nexus_invocation_duration_seconds",
			Help:    "Time spent running a task in the sandbox, by module.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2.5, 14), // 50µs … ~7.5 min
		}, []string{"module"}),
		fuel: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "nexus_fuel_used",
			Help:    "Fuel used per invocation, by module.",
			Buckets: prometheus.ExponentialBuckets(1e3, 10, 10), // 1e3 … 1e12
		}, []string{"module"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nexus_invocations_in_flight",
			Help: "Invocations running in the sandbox now.",
		}),
	}
	m.panics, m.refused = newPanics(), newRefused()
	m.reg.MustRegister(
		m.panics, m.refused,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.invocations,
		m.duration,
		m.inFlight,
		m.fuel,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nexus_modules",
			Help: "Module names in the registry.",
		}, func() float64 { return float64(modules()) }),
	)
	return m
}

// Invocation records one finished invocation of module.
func (m *Metrics) Invocation(module, outcome string, d time.Duration, fuel int64) {
	m.invocations.WithLabelValues(module, outcome).Inc()
	m.duration.WithLabelValues(module).Observe(d.Seconds())
	m.fuel.WithLabelValues(module).Observe(float64(fuel))
}

// InFlight adds delta (1 when a task starts, -1 when it ends) to the
// number of running invocations.
func (m *Metrics) InFlight(delta int) { m.inFlight.Add(float64(delta)) }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
