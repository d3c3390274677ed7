package metrics

import (
	"math"
	"sort"
	"strconv"

	dto "github.com/prometheus/client_model/go"
)

// Family is one metric family of a Snapshot: what /metrics shows under
// one name, as plain values.
type Family struct {
	Name    string   `json:"name"`
	Help    string   `json:"help"`
	Type    string   `json:"type"` // counter, gauge, histogram, summary or untyped
	Metrics []Sample `json:"metrics"`
}

// Sample is one labelled series of a Family. A counter or gauge has
// Value; a histogram has Count, Sum, Buckets (cumulative, as in the
// Prometheus format, the last one +Inf) and Quantiles estimated from the
// buckets; a summary has Count, Sum and its own Quantiles.
type Sample struct {
	Labels    map[string]string  `json:"labels,omitempty"`
	Value     *float64           `json:"value,omitempty"`
	Count     *uint64            `json:"count,omitempty"`
	Sum       *float64           `json:"sum,omitempty"`
	Buckets   []Bucket           `json:"buckets,omitempty"`
	Quantiles map[string]float64 `json:"quantiles,omitempty"`
}

// Bucket is one cumulative histogram bucket: Count observations were at
// most Le. JSON has no infinity, so the last bucket's Le is "+Inf" as
// text, as are the others' ("0.005").
type Bucket struct {
	Le    string `json:"le"`
	Count uint64 `json:"count"`
}

// quantiles are the quantiles estimated for each histogram.
var quantiles = []float64{0.5, 0.9, 0.99}

// Snapshot gathers every metric of the registry, as /metrics would show
// it at this moment, sorted by name. It is safe for concurrent use.
func (m *Metrics) Snapshot() ([]Family, error) {
	mfs, err := m.reg.Gather()
	if err != nil {
		return nil, err
	}
	out := make([]Family, 0, len(mfs))
	for _, mf := range mfs {
		f := Family{Name: mf.GetName(), Help: mf.GetHelp(), Type: typeName(mf.GetType())}
		for _, dm := range mf.GetMetric() {
			f.Metrics = append(f.Metrics, sample(mf.GetType(), dm))
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func typeName(t dto.MetricType) string {
	switch t {
	case dto.MetricType_COUNTER:
		return "counter"
	case dto.MetricType_GAUGE:
		return "gauge"
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return "histogram"
	case dto.MetricType_SUMMARY:
		return "summary"
	}
	return "untyped"
}

func sample(t dto.MetricType, dm *dto.Metric) Sample {
	var s Sample
	if lp := dm.GetLabel(); len(lp) > 0 {
		s.Labels = make(map[string]string, len(lp))
		for _, l := range lp {
			s.Labels[l.GetName()] = l.GetValue()
		}
	}
	val := func(v float64) *float64 { return &v }
	switch t {
	case dto.MetricType_COUNTER:
		s.Value = val(dm.GetCounter().GetValue())
	case dto.MetricType_GAUGE:
		s.Value = val(dm.GetGauge().GetValue())
	case dto.MetricType_UNTYPED:
		s.Value = val(dm.GetUntyped().GetValue())
	case dto.MetricType_SUMMARY:
		sm := dm.GetSummary()
		c := sm.GetSampleCount()
		s.Count, s.Sum = &c, val(sm.GetSampleSum())
		s.Quantiles = make(map[string]float64, len(sm.GetQuantile()))
		for _, q := range sm.GetQuantile() {
			s.Quantiles[fmtFloat(q.GetQuantile())] = q.GetValue()
		}
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		h := dm.GetHistogram()
		c := h.GetSampleCount()
		s.Count, s.Sum = &c, val(h.GetSampleSum())
		for _, b := range h.GetBucket() {
			s.Buckets = append(s.Buckets, Bucket{Le: fmtFloat(b.GetUpperBound()), Count: b.GetCumulativeCount()})
		}
		if n := len(s.Buckets); n == 0 || s.Buckets[n-1].Le != "+Inf" {
			s.Buckets = append(s.Buckets, Bucket{Le: "+Inf", Count: c})
		}
		if c > 0 {
			s.Quantiles = make(map[string]float64, len(quantiles))
			for _, q := range quantiles {
				s.Quantiles[fmtFloat(q)] = estimate(q, h.GetBucket(), c)
			}
		}
	}
	return s
}

// estimate is the q-quantile of a histogram's buckets, interpolated
// linearly within the bucket that holds it, as Prometheus's
// histogram_quantile does: the lowest bucket from 0 (or its own bound, if
// negative), and a quantile in the +Inf bucket is the largest finite
// bound.
func estimate(q float64, buckets []*dto.Bucket, count uint64) float64 {
	rank := q * float64(count)
	lower, below := 0.0, uint64(0)
	for i, b := range buckets {
		ub, cum := b.GetUpperBound(), b.GetCumulativeCount()
		if math.IsInf(ub, 1) {
			break
		}
		if i == 0 && ub < 0 {
			lower = ub
		}
		if float64(cum) >= rank {
			if cum == below {
				return ub
			}
			return lower + (ub-lower)*(rank-float64(below))/float64(cum-below)
		}
		lower, below = ub, cum
	}
	return lower
}

// fmtFloat prints a bound or quantile as the Prometheus format does.
func fmtFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
