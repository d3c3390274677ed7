package metrics

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
)

// DefaultStatsDInterval is how often metrics are pushed to StatsD.
const DefaultStatsDInterval = 10 * time.Second

// TagFormat is how a StatsD push carries labels.
type TagFormat int

// Tag formats (--statsd-tags).
const (
	// TagsDogStatsD sends labels as DogStatsD tags: name:1|c|#module:echo.
	TagsDogStatsD TagFormat = iota
	// TagsNone folds label values into the name, for plain StatsD:
	// name.echo:1|c.
	TagsNone
)

// ParseTagFormat parses "dogstatsd" (or "") and "none".
func ParseTagFormat(s string) (TagFormat, error) {
	switch s {
	case "", "dogstatsd":
		return TagsDogStatsD, nil
	case "none":
		return TagsNone, nil
	}
	return 0, fmt.Errorf("metrics: statsd tags %q: want dogstatsd or none", s)
}

// StatsDConfig configures a StatsD push.
type StatsDConfig struct {
	// Addr is the StatsD server, HOST:PORT, reached over UDP.
	Addr string
	// Prefix, if set, starts every name (Prefix + "." + name).
	Prefix string
	// Tags is how labels are sent.
	Tags TagFormat
	// Interval is how often the push runs; 0 means DefaultStatsDInterval.
	Interval time.Duration
	// Logger receives push errors (at most one line per push); nil means
	// slog.Default().
	Logger *slog.Logger
}

// StatsD pushes a registry's figures to a StatsD server through the
// DataDog client: counters as counts of their increase since the last
// push, gauges as gauges, histograms and summaries as the count of new
// observations (NAME.count), their sum (NAME.sum, a gauge) and their
// quantiles (NAME.p50, .p90, .p99, gauges). Its methods are safe for
// concurrent use.
type StatsD struct {
	m      *Metrics
	cfg    StatsDConfig
	client *statsd.Client

	mu   sync.Mutex
	last map[string]float64 // the counters' values at the last push, by series

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// StartStatsD starts pushing m to cfg.Addr every cfg.Interval, until
// Close.
func (m *Metrics) StartStatsD(cfg StatsDConfig) (*StatsD, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultStatsDInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts := []statsd.Option{statsd.WithoutTelemetry(), statsd.WithoutOriginDetection(),
		statsd.WithoutClientSideAggregation()}
	if cfg.Prefix != "" {
		opts = append(opts, statsd.WithNamespace(strings.TrimSuffix(cfg.Prefix, ".")+"."))
	}
	c, err := statsd.New(cfg.Addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("metrics: statsd %s: %w", cfg.Addr, err)
	}
	s := &StatsD{m: m, cfg: cfg, client: c, last: map[string]float64{}, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s, nil
}

func (s *StatsD) loop() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.Push(); err != nil {
				s.cfg.Logger.Warn("statsd push", "addr", s.cfg.Addr, "err", err)
			}
		case <-s.stop:
			return
		}
	}
}

// Close pushes once more, then stops the push and closes its socket.
func (s *StatsD) Close() {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		if err := s.Push(); err != nil {
			s.cfg.Logger.Warn("statsd push", "addr", s.cfg.Addr, "err", err)
		}
		s.client.Close()
	})
}

// Push sends every figure now and flushes the client's buffer.
func (s *StatsD) Push() error {
	fams, err := s.m.Snapshot()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, f := range fams {
		for _, smp := range f.Metrics {
			name, tags := s.series(f.Name, smp.Labels)
			key := name + "|" + strings.Join(tags, ",")
			switch {
			case f.Type == "counter" && smp.Value != nil:
				if d := int64(*smp.Value - s.last[key]); d != 0 {
					keep(s.client.Count(name, d, tags, 1))
				}
				s.last[key] = *smp.Value
			case smp.Value != nil:
				keep(s.client.Gauge(name, *smp.Value, tags, 1))
			case smp.Count != nil:
				ckey := key + "|count"
				if d := int64(float64(*smp.Count) - s.last[ckey]); d != 0 {
					keep(s.client.Count(name+".count", d, tags, 1))
				}
				s.last[ckey] = float64(*smp.Count)
				keep(s.client.Gauge(name+".sum", *smp.Sum, tags, 1))
				for q, v := range smp.Quantiles {
					keep(s.client.Gauge(name+"."+quantileName(q), v, tags, 1))
				}
			}
		}
	}
	keep(s.client.Flush())
	return first
}

// series is a sample's StatsD name and tags: labels as sorted
// "name:value" tags, or their values folded into the name.
func (s *StatsD) series(name string, labels map[string]string) (string, []string) {
	if len(labels) == 0 {
		return name, nil
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if s.cfg.Tags == TagsNone {
		var b strings.Builder
		b.WriteString(name)
		for _, k := range keys {
			b.WriteByte('.')
			b.WriteString(sanitize(labels[k]))
		}
		return b.String(), nil
	}
	tags := make([]string, len(keys))
	for i, k := range keys {
		tags[i] = k + ":" + labels[k]
	}
	return name, tags
}

// sanitize makes a label value fit in a StatsD name: the characters the
// protocol reserves (: | @ # , and spaces, dots) become underscores.
func sanitize(v string) string {
	if v == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ':', '|', '@', '#', ',', ' ', '.', '\n', '\t':
			return '_'
		}
		return r
	}, v)
}

// quantileName names a quantile in StatsD: p50 for 0.5, p999 for 0.999.
func quantileName(q string) string {
	return "p" + strings.TrimPrefix(q, "0.") + strings.Repeat("0", max(0, 4-len(q)))
}
