package metrics

import "github.com/prometheus/client_golang/prometheus"

// InstanceStats are the host runtime's instance figures as the instance
// collector reads them at each scrape (see host.InstanceStats).
type InstanceStats struct {
	Fresh, Restored, Ready, WarmNew, WarmReused, WarmDiscarded uint64
	ReadyBytes                                                 int64
	// Reset counts tasks that ran in a reset instance; ResetFallbacks
	// counts by reason the fresh-isolation tasks that did not and the
	// reset instances closed instead of kept; ResetBytes is the memory of
	// the idle reset instances.
	Reset          uint64
	ResetFallbacks map[string]uint64
	ResetBytes     int64
}

// instanceCollector turns an InstanceStats snapshot into Prometheus series
// at each scrape.
type instanceCollector struct {
	stats                      func() InstanceStats
	total, discarded, readyMem *prometheus.Desc
	resetFallbacks, resetMem   *prometheus.Desc
}

// RegisterInstances registers the runtime's instance series on m's
// registry, reading stats at each scrape:
//
//   - nexus_instances_total{source}: tasks by where their instance came
//     from: fresh (instantiated), snapshot (restored), ready (made ahead by
//     a ready pool), reset (an earlier task's, reset to its pristine
//     state), warm_new and warm_reused (warm modules);
//   - nexus_instance_reset_fallbacks_total{reason}: fresh-isolation tasks
//     that did not run in a reset instance, and reset instances closed
//     instead of kept, by reason (host's Reset* constants);
//   - nexus_reset_instance_bytes: linear memory of the idle reset
//     instances;
//   - nexus_warm_instances_discarded_total: warm instances closed instead
//     of kept or reused;
//   - nexus_ready_instance_bytes: linear memory of the instances waiting in
//     ready pools.
//
// stats must be safe for concurrent use. Call it once per Metrics.
func (m *Metrics) RegisterInstances(stats func() InstanceStats) error {
	return m.reg.Register(&instanceCollector{
		stats: stats,
		total: prometheus.NewDesc("nexus_instances_total",
			"Tasks by where their instance came from: fresh, snapshot, ready, reset, warm_new or warm_reused.", []string{"source"}, nil),
		resetFallbacks: prometheus.NewDesc("nexus_instance_reset_fallbacks_total",
			"Fresh-isolation tasks that did not run in a reset instance, and reset instances closed instead of kept, by reason.", []string{"reason"}, nil),
		resetMem: prometheus.NewDesc("nexus_reset_instance_bytes",
			"Linear memory of the idle reset instances.", nil, nil),
		discarded: prometheus.NewDesc("nexus_warm_instances_discarded_total",
			"Warm instances closed instead of kept or reused (failed task, enough idle, quota mismatch).", nil, nil),
		readyMem: prometheus.NewDesc("nexus_ready_instance_bytes",
			"Linear memory of the instances waiting in ready pools.", nil, nil),
	})
}

// Describe implements prometheus.Collector.
func (c *instanceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.total
	ch <- c.discarded
	ch <- c.readyMem
	ch <- c.resetFallbacks
	ch <- c.resetMem
}

// Collect implements prometheus.Collector.
func (c *instanceCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	for _, src := range []struct {
		name string
		n    uint64
	}{{"fresh", s.Fresh}, {"snapshot", s.Restored}, {"ready", s.Ready}, {"reset", s.Reset}, {"warm_new", s.WarmNew}, {"warm_reused", s.WarmReused}} {
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(src.n), src.name)
	}
	ch <- prometheus.MustNewConstMetric(c.discarded, prometheus.CounterValue, float64(s.WarmDiscarded))
	ch <- prometheus.MustNewConstMetric(c.readyMem, prometheus.GaugeValue, float64(s.ReadyBytes))
	for reason, n := range s.ResetFallbacks {
		ch <- prometheus.MustNewConstMetric(c.resetFallbacks, prometheus.CounterValue, float64(n), reason)
	}
	ch <- prometheus.MustNewConstMetric(c.resetMem, prometheus.GaugeValue, float64(s.ResetBytes))
}
