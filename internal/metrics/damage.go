package metrics

import "github.com/prometheus/client_golang/prometheus"

// DamageStats are the damaged stored objects the server has found and
// refused: module versions whose bytes or record failed their digest, and
// records (tasks, schedules, kv values) that failed their checksum.
type DamageStats struct {
	Modules int
	Records int
}

// RegisterDamage exposes the stats as nexus_damaged_objects{kind}. stats
// is called at each scrape and must be safe for concurrent use.
func (m *Metrics) RegisterDamage(stats func() DamageStats) error {
	return m.reg.Register(&damageCollector{
		stats: stats,
		desc: prometheus.NewDesc("nexus_damaged_objects",
			"Stored objects refused as damaged (digest or checksum mismatch, undecodable record), by kind: module or record.",
			[]string{"kind"}, nil),
	})
}

type damageCollector struct {
	stats func() DamageStats
	desc  *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *damageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *damageCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.Modules), "module")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.Records), "record")
}
