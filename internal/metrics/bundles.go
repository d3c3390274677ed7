package metrics

import "github.com/prometheus/client_golang/prometheus"

// BundleStats are the bundle store's figures read at scrape time.
type BundleStats struct {
	// Bundles counts the stored bundle names.
	Bundles int
	// MountsHeld counts the mounts that running tasks and invokes hold.
	MountsHeld int
}

// BundleMetrics records bundle uploads. A nil *BundleMetrics records
// nothing. Its methods are safe for concurrent use.
type BundleMetrics struct {
	uploads *prometheus.CounterVec
	bytes   prometheus.Counter
}

// RegisterBundles creates the bundle instruments and registers them on
// m's registry: nexus_bundle_uploads_total{result} (created, existing or
// refused), nexus_bundle_upload_bytes_total (files' bytes of created
// versions), and nexus_bundles and nexus_bundle_mounts_held, read from
// stats at scrape time. Call it once per Metrics.
func (m *Metrics) RegisterBundles(stats func() BundleStats) (*BundleMetrics, error) {
	b := &BundleMetrics{
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nexus_bundle_uploads_total",
			Help: "Bundle uploads, by result: created (a new version), existing (the same tree again) or refused.",
		}, []string{"result"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nexus_bundle_upload_bytes_total",
			Help: "Bytes of files in the bundle versions created.",
		}),
	}
	for _, c := range []prometheus.Collector{
		b.uploads, b.bytes,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nexus_bundles",
			Help: "Bundle names stored.",
		}, func() float64 { return float64(stats().Bundles) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nexus_bundle_mounts_held",
			Help: "Bundle mounts held by running tasks and invokes.",
		}, func() float64 { return float64(stats().MountsHeld) }),
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Upload records one upload with its result and, for a created version,
// its files' bytes.
func (b *BundleMetrics) Upload(result string, bytes int64) {
	if b == nil {
		return
	}
	b.uploads.WithLabelValues(result).Inc()
	b.bytes.Add(float64(bytes))
}
