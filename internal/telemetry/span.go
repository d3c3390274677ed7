package telemetry

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// propagator reads and writes W3C traceparent and tracestate.
var propagator = propagation.TraceContext{}

// Span is one started span. The zero Span (tracing off, or a trace not
// sampled) does nothing. A Span is used by one goroutine at a time.
type Span struct{ s trace.Span }

// Recording reports whether s records what it is told.
func (s Span) Recording() bool { return s.s != nil && s.s.IsRecording() }

// End ends s now.
func (s Span) End() {
	if s.s != nil {
		s.s.End()
	}
}

// EndAt ends s at time at.
func (s Span) EndAt(at time.Time) {
	if s.s != nil {
		s.s.End(trace.WithTimestamp(at))
	}
}

// Set adds attributes to s.
func (s Span) Set(attrs ...Attr) {
	if s.s != nil {
		s.s.SetAttributes(kvs(attrs)...)
	}
}

// Event adds an event named name to s, now.
func (s Span) Event(name string, attrs ...Attr) { s.EventAt(name, time.Time{}, attrs...) }

// EventAt adds an event named name to s at time at (zero: now).
func (s Span) EventAt(name string, at time.Time, attrs ...Attr) {
	if s.s == nil {
		return
	}
	opts := make([]trace.EventOption, 0, 2)
	if !at.IsZero() {
		opts = append(opts, trace.WithTimestamp(at))
	}
	if len(attrs) > 0 {
		opts = append(opts, trace.WithAttributes(kvs(attrs)...))
	}
	s.s.AddEvent(name, opts...)
}

// Fail marks s as failed with err, recorded as an exception event, and
// its error code as error.type.
func (s Span) Fail(err error, code string) {
	if s.s == nil || err == nil {
		return
	}
	s.s.RecordError(err)
	s.s.SetStatus(codes.Error, err.Error())
	if code != "" {
		s.s.SetAttributes(attribute.String("error.type", code))
	}
}

// Inject writes the trace context of ctx's span into h as traceparent
// (and tracestate), for an outgoing request.
func Inject(ctx context.Context, h http.Header) {
	propagator.Inject(ctx, propagation.HeaderCarrier(h))
}

// TraceParent returns the W3C traceparent and tracestate of ctx's span,
// or of the remote parent in ctx; "" if ctx has neither.
func TraceParent(ctx context.Context) (traceparent, tracestate string) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return "", ""
	}
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	return c["traceparent"], c["tracestate"]
}

// HeaderParent returns the traceparent and tracestate of a request's
// headers, "" if it has no valid traceparent.
func HeaderParent(h http.Header) (traceparent, tracestate string) {
	ctx := propagator.Extract(context.Background(), propagation.HeaderCarrier(h))
	return TraceParent(ctx)
}

// ContextWithParent returns ctx with the remote parent that traceparent
// and tracestate name, if ctx has no span of its own and traceparent is
// valid; ctx otherwise.
func ContextWithParent(ctx context.Context, traceparent, tracestate string) context.Context {
	if traceparent == "" || trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	c := propagation.MapCarrier{"traceparent": traceparent}
	if tracestate != "" {
		c["tracestate"] = tracestate
	}
	return propagator.Extract(ctx, c)
}
