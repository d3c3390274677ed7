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
