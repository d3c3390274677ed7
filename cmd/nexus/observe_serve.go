package main

import (
	"strconv"

	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/internal/telemetry"
	"github.com/spf13/pflag"
)

// addObserveFlags adds serve's tracing, StatsD and health flags.
func addObserveFlags(f *pflag.FlagSet, c *node.Config, d node.Config) {
	f.StringVar(&c.OTelEndpoint, "otel-endpoint", "", "export traces over OTLP to this URL or HOST:PORT (default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT; tracing is off without one)")
	f.StringVar(&c.OTelProtocol, "otel-protocol", "", "OTLP protocol: http/protobuf or grpc (default: OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)")
	c.OTelSample = d.OTelSample
	f.Var(sampleVar{&c.OTelSample}, "otel-sample", "fraction of new traces sampled, 0 to 1 (default: OTEL_TRACES_SAMPLER, else every trace)")
	f.StringVar(&c.StatsDAddr, "statsd-addr", "", "push the metrics to a StatsD server at HOST:PORT over UDP (default: off)")
	f.StringVar(&c.StatsDPrefix, "statsd-prefix", d.StatsDPrefix, "prefix of every StatsD name")
	f.StringVar(&c.StatsDTags, "statsd-tags", d.StatsDTags, "how StatsD gets labels: dogstatsd (tags) or none (label values in the name)")
	f.DurationVar(&c.StatsDInterval, "statsd-interval", 10e9, "how often the metrics are pushed to StatsD")
	sizeFlag(f, &c.MinFreeDisk, "min-free-disk", d.MinFreeDisk, "free space the data directory's file system must keep; below it new work is refused (503 unavailable) until space is freed (0: no bound)")
}

// sampleVar is --otel-sample: a fraction from 0 to 1, negative while
// unset.
type sampleVar struct{ p *float64 }

func (v sampleVar) String() string {
	if v.p == nil || *v.p < 0 {
		return ""
	}
	return strconv.FormatFloat(*v.p, 'g', -1, 64)
}

func (v sampleVar) Set(s string) error {
	f, err := telemetry.ParseSample(s)
	if err != nil {
		return err
	}
	*v.p = f
	return nil
}

func (v sampleVar) Type() string { return "fraction" }
