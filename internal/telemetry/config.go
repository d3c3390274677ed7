package telemetry

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Protocols of the OTLP exporter (Config.Protocol), as the
// OTEL_EXPORTER_OTLP_PROTOCOL variable spells them.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Config configures a Tracer. The zero value reads everything from the
// standard OTEL_* environment variables, and is off unless one of them
// names an endpoint.
type Config struct {
	// Endpoint is where spans are exported: a URL (http://host:4318, or
	// http://host:4317 for gRPC) or host:port (plain text). A URL without
	// a path gets the signal's path, /v1/traces, for HTTP. Empty: the
	// exporter reads OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
	// OTEL_EXPORTER_OTLP_ENDPOINT, and tracing is off if neither is set.
	Endpoint string
	// Protocol is ProtocolHTTP or ProtocolGRPC; empty reads
	// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL,
	// and defaults to ProtocolHTTP.
	Protocol string
	// Sample is the fraction of new traces sampled, 0 to 1 (a trace whose
	// parent was sampled is sampled). Negative: OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG decide, parent-based always-on by default.
	Sample float64
	// ServiceName names the process in its traces; empty:
	// OTEL_SERVICE_NAME, or "nexus".
	ServiceName string
	// Version, if set, is the service.version resource attribute.
	Version string
	// Getenv reads the variables that choose the endpoint, protocol,
	// sampler and service name; nil: os.Getenv. The exporter reads the
	// others (OTEL_EXPORTER_OTLP_HEADERS, timeouts, TLS) from the
	// process's environment.
	Getenv func(string) string
}

// DefaultConfig returns a Config that reads the environment.
func DefaultConfig() Config { return Config{Sample: -1} }

// Validate reports a protocol or sample fraction out of range.
func (c Config) Validate() error {
	switch c.Protocol {
	case "", ProtocolHTTP, ProtocolGRPC:
	default:
		return fmt.Errorf("telemetry: protocol %q: want %s or %s", c.Protocol, ProtocolHTTP, ProtocolGRPC)
	}
	if c.Sample > 1 {
		return fmt.Errorf("telemetry: sample %v: want a fraction from 0 to 1", c.Sample)
	}
	return nil
}

func (c Config) getenv(k string) string {
	if c.Getenv != nil {
		return c.Getenv(k)
	}
	return os.Getenv(k)
}

// On reports whether c turns tracing on: an endpoint given, or one of
// the endpoint variables set.
func (c Config) On() bool {
	return c.Endpoint != "" || c.getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" ||
		c.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// protocol is the exporter's protocol after the environment.
func (c Config) protocol() (string, error) {
	p := c.Protocol
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p == "" {
			p = strings.TrimSpace(c.getenv(k))
		}
	}
	switch p {
	case "", ProtocolHTTP, "http":
		return ProtocolHTTP, nil
	case ProtocolGRPC:
		return ProtocolGRPC, nil
	}
	return "", fmt.Errorf("telemetry: OTLP protocol %q is not supported: want %s or %s", p, ProtocolHTTP, ProtocolGRPC)
}

// serviceName is the service.name resource attribute.
func (c Config) serviceName() string {
	if c.ServiceName != "" {
		return c.ServiceName
	}
	if n := c.getenv("OTEL_SERVICE_NAME"); n != "" {
		return n
	}
	return "nexus"
}

// ParseSample parses a --otel-sample value: a fraction from 0 to 1.
func ParseSample(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1 {
		return 0, fmt.Errorf("telemetry: sample %q: want a fraction from 0 to 1", s)
	}
	return f, nil
}
