package metrics

import "github.com/prometheus/client_golang/prometheus"

// CacheStats are the result cache's figures as the cache collector reads
// them at each scrape (package metrics does not import the cache).
type CacheStats struct {
	Hits, Misses, Coalesced, Bypasses               uint64
	Stored, Rejected, Evictions, Expirations, Drops uint64
	Invalidations                                   uint64
	Entries                                         int
	Bytes, MaxBytes                                 int64
	HitRatio                                        float64
}

// cacheCollector turns a CacheStats snapshot into Prometheus series at
// each scrape, so the figures are the cache's own exact counts.
type cacheCollector struct {
	stats func() CacheStats
	descs map[string]*prometheus.Desc
}

var cacheSeries = []struct{ name, help string }{
	{"nexus_cache_hits_total", "Invocations answered from a stored result."},
	{"nexus_cache_misses_total", "Cacheable invocations that ran the task."},
	{"nexus_cache_coalesced_total", "Cacheable invocations that waited for an identical one in flight instead of running."},
	{"nexus_cache_bypasses_total", "Invocations that did not ask for caching."},
	{"nexus_cache_stored_total", "Results admitted into the cache."},
	{"nexus_cache_rejections_total", "Results the admission policy refused (or dropped under write contention)."},
	{"nexus_cache_evictions_total", "Entries evicted to make room."},
	{"nexus_cache_expirations_total", "Entries removed when their TTL passed."},
	{"nexus_cache_invalidations_total", "Entries removed by invalidation (by module, tag or key, or a module upload or delete)."},
	{"nexus_cache_entries", "Entries held."},
	{"nexus_cache_bytes", "Bytes held (output plus per-entry overhead), the cost bounded by nexus_cache_max_bytes."},
	{"nexus_cache_max_bytes", "Bound on nexus_cache_bytes."},
	{"nexus_cache_hit_ratio", "(hits + coalesced) / (hits + coalesced + misses) since start."},
}

// RegisterCache registers the result cache's series on m's registry,
// reading stats at each scrape: nexus_cache_hits_total,
// nexus_cache_misses_total, nexus_cache_coalesced_total,
// nexus_cache_bypasses_total, nexus_cache_stored_total,
// nexus_cache_rejections_total, nexus_cache_evictions_total,
// nexus_cache_expirations_total, nexus_cache_invalidations_total,
// nexus_cache_entries, nexus_cache_bytes, nexus_cache_max_bytes and
// nexus_cache_hit_ratio. stats must be safe for concurrent use. Call it once
// per Metrics; a second call fails because the names are taken.
func (m *Metrics) RegisterCache(stats func() CacheStats) error {
	c := &cacheCollector{stats: stats, descs: map[string]*prometheus.Desc{}}
	for _, s := range cacheSeries {
		c.descs[s.name] = prometheus.NewDesc(s.name, s.help, nil, nil)
	}
	return m.reg.Register(c)
}

// Describe implements prometheus.Collector.
func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	counter := func(name string, v uint64) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.CounterValue, float64(v))
	}
	gauge := func(name string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.GaugeValue, v)
	}
	counter("nexus_cache_hits_total", s.Hits)
	counter("nexus_cache_misses_total", s.Misses)
	counter("nexus_cache_coalesced_total", s.Coalesced)
	counter("nexus_cache_bypasses_total", s.Bypasses)
	counter("nexus_cache_stored_total", s.Stored)
	counter("nexus_cache_rejections_total", s.Rejected+s.Drops)
	counter("nexus_cache_evictions_total", s.Evictions)
	counter("nexus_cache_expirations_total", s.Expirations)
	counter("nexus_cache_invalidations_total", s.Invalidations)
	gauge("nexus_cache_entries", float64(s.Entries))
	gauge("nexus_cache_bytes", float64(s.Bytes))
	gauge("nexus_cache_max_bytes", float64(s.MaxBytes))
	gauge("nexus_cache_hit_ratio", s.HitRatio)
}
