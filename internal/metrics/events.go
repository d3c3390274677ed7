package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// EventMetrics are the event system's series. Its methods are safe for
// concurrent use.
type EventMetrics struct {
	published  *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	latency    prometheus.Histogram
}

// RegisterEvents registers the event system's series on m's registry:
// nexus_events_published_total{type}, nexus_event_subscribers (read from
// subscribers at each scrape), nexus_webhook_deliveries_total{outcome},
// nexus_webhook_delivery_seconds and nexus_webhook_outbox_depth (events
// committed and not yet delivered, summed over the endpoints, read from
// depth). Call it once per Metrics.
func (m *Metrics) RegisterEvents(subscribers func() int, depth func() uint64) (*EventMetrics, error) {
	em := &EventMetrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nexus_events_published_total", Help: "Events committed to the event log, by type.",
		}, []string{"type"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nexus_webhook_deliveries_total", Help: "Webhook delivery attempts, by outcome (success, failure).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "nexus_webhook_delivery_seconds", Help: "Time from a webhook delivery's request to its answer.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}),
	}
	subs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "nexus_event_subscribers", Help: "Open event subscriptions (SSE clients, webhook endpoints, in-process listeners).",
	}, func() float64 { return float64(subscribers()) })
	outbox := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "nexus_webhook_outbox_depth", Help: "Events committed but not yet delivered, summed over the webhook endpoints.",
	}, func() float64 { return float64(depth()) })
	for _, c := range []prometheus.Collector{em.published, em.deliveries, em.latency, subs, outbox} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return em, nil
}

// Published counts one event of type typ.
func (em *EventMetrics) Published(typ string) { em.published.WithLabelValues(typ).Inc() }

// Delivered counts one webhook delivery attempt and its duration.
func (em *EventMetrics) Delivered(outcome string, d time.Duration) {
	em.deliveries.WithLabelValues(outcome).Inc()
	em.latency.Observe(d.Seconds())
}
