package metrics

import "github.com/prometheus/client_golang/prometheus"

// newPanics is nexus_panics_total{where}.
func newPanics() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nexus_panics_total",
		Help: "Panics contained to one request or task, by where they happened: handler or task.",
	}, []string{"where"})
}

// Panic counts a panic contained in where ("handler" or "task").
func (m *Metrics) Panic(where string) { m.panics.WithLabelValues(where).Inc() }

// newRefused is nexus_refused_unhealthy_total.
func newRefused() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Name: "nexus_refused_unhealthy_total",
		Help: "Requests for new work refused with 503 unavailable while a critical health check failed.",
	})
}

// Refused counts a request for new work refused while unhealthy.
func (m *Metrics) Refused() { m.refused.Inc() }

// RegisterAbandoned exposes nexus_host_calls_abandoned_total, reading
// abandoned() at each scrape (safe for concurrent use).
func (m *Metrics) RegisterAbandoned(abandoned func() uint64) error {
	return m.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "nexus_host_calls_abandoned_total",
		Help: "Host calls (kv operations) still blocked at their task's deadline, abandoned so that the worker was freed.",
	}, func() float64 { return float64(abandoned()) }))
}
