// Package telemetry is NexusTask's tracing: OpenTelemetry spans exported
// over OTLP (HTTP or gRPC), and W3C trace context carried in headers and
// stored with durable tasks. It is the only package that imports
// OpenTelemetry; others use its Tracer, Span and Attr, which mention no
// OpenTelemetry type.
//
// A Tracer built from a Config with no endpoint (and none in the
// environment) is off: its spans are zero Spans, whose methods do nothing,
// so tracing that is off costs a nil check per span.
package telemetry
