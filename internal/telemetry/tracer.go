package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation is the name of the tracer (the instrumentation scope).
const instrumentation = "github.com/nexustask/nexus"

// Tracer starts spans and exports them. A nil *Tracer, or one built from a
// Config that is not On, is off: its spans are zero Spans. A Tracer is
// safe for concurrent use.
type Tracer struct {
	tp *sdktrace.TracerProvider
	t  trace.Tracer
}

// New returns the Tracer cfg asks for: off unless cfg.On(), otherwise
// exporting in batches over OTLP. Call Shutdown to flush and stop it.
func New(ctx context.Context, cfg Config) (*Tracer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.On() {
		return &Tracer{}, nil
	}
	exp, err := newExporter(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sampler, err := cfg.sampler()
	if err != nil {
		return nil, err
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.serviceName())}
	if cfg.Version != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.Version))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sampler),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, attrs...)),
	)
	return &Tracer{tp: tp, t: tp.Tracer(instrumentation)}, nil
}

// newExporter returns the OTLP exporter of cfg's protocol, for its
// endpoint or the environment's.
func newExporter(ctx context.Context, cfg Config) (*otlptrace.Exporter, error) {
	proto, err := cfg.protocol()
	if err != nil {
		return nil, err
	}
	// The endpoint: the flag's, else the signal's variable (used as it
	// is), else the generic one (for HTTP, with the signal's path added).
	ep, exact := cfg.Endpoint, false
	if ep == "" {
		if ep = strings.TrimSpace(cfg.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); ep != "" {
			exact = true
		} else if ep = strings.TrimSpace(cfg.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); ep != "" && proto == ProtocolHTTP {
			ep = strings.TrimSuffix(ep, "/") + "/v1/traces"
		}
	}
	if ep != "" && !strings.Contains(ep, "://") {
		ep = "http://" + ep
	}
	if ep != "" {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("telemetry: endpoint %q: want a URL or host:port", ep)
		}
		if proto == ProtocolHTTP && !exact && (u.Path == "" || u.Path == "/") {
			u.Path = "/v1/traces"
		}
		ep = u.String()
	}
	if proto == ProtocolGRPC {
		var opts []otlptracegrpc.Option
		if ep != "" {
			opts = append(opts, otlptracegrpc.WithEndpointURL(ep))
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	var opts []otlptracehttp.Option
	if ep != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(ep))
	}
	return otlptracehttp.New(ctx, opts...)
}

// sampler is the sampler of cfg.Sample, or of the OTEL_TRACES_SAMPLER
// variables when it is negative.
func (c Config) sampler() (sdktrace.Sampler, error) {
	if c.Sample >= 0 {
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.Sample)), nil
	}
	name, arg := strings.TrimSpace(c.getenv("OTEL_TRACES_SAMPLER")), strings.TrimSpace(c.getenv("OTEL_TRACES_SAMPLER_ARG"))
	ratio := 1.0
	if arg != "" {
		f, err := strconv.ParseFloat(arg, 64)
		if err != nil || f < 0 || f > 1 {
			return nil, fmt.Errorf("telemetry: OTEL_TRACES_SAMPLER_ARG %q: want a fraction from 0 to 1", arg)
		}
		ratio = f
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	}
	return nil, fmt.Errorf("telemetry: OTEL_TRACES_SAMPLER %q is not supported", name)
}

// Enabled reports whether t records spans.
func (t *Tracer) Enabled() bool { return t != nil && t.tp != nil }

// Flush exports the spans ended so far.
func (t *Tracer) Flush(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.tp.ForceFlush(ctx)
}

// Shutdown exports the spans ended so far and stops t; spans started
// after it are not exported.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// Start starts a span named name as a child of the span in ctx (or of
// the remote parent ContextWithParent put there), at time at (zero: now),
// and returns ctx with the span. With t off it returns ctx and a zero Span.
func (t *Tracer) Start(ctx context.Context, name string, at time.Time, attrs ...Attr) (context.Context, Span) {
	if !t.Enabled() {
		return ctx, Span{}
	}
	opts := make([]trace.SpanStartOption, 0, 2)
	if !at.IsZero() {
		opts = append(opts, trace.WithTimestamp(at))
	}
	if len(attrs) > 0 {
		opts = append(opts, trace.WithAttributes(kvs(attrs)...))
	}
	ctx, s := t.t.Start(ctx, name, opts...)
	return ctx, Span{s: s}
}

// StartServer starts the span of an HTTP request r (kind server) named
// "METHOD route", a child of the trace context in r's traceparent and
// tracestate headers if any, with the HTTP semantic-convention
// attributes. With t off it returns r's context and a zero Span.
func (t *Tracer) StartServer(r *http.Request, route string) (context.Context, Span) {
	ctx := r.Context()
	if !t.Enabled() {
		return ctx, Span{}
	}
	ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", r.Method),
		attribute.String("http.route", route),
		attribute.String("url.path", r.URL.Path),
		attribute.String("url.scheme", scheme(r)),
		attribute.String("network.protocol.version", fmt.Sprintf("%d.%d", r.ProtoMajor, r.ProtoMinor)),
	}
	if host, port, ok := strings.Cut(r.Host, ":"); ok {
		attrs = append(attrs, attribute.String("server.address", host))
		if p, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, attribute.Int("server.port", p))
		}
	} else if r.Host != "" {
		attrs = append(attrs, attribute.String("server.address", r.Host))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, attribute.String("user_agent.original", ua))
	}
	ctx, s := t.t.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	return ctx, Span{s: s}
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
