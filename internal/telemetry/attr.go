package telemetry

import "go.opentelemetry.io/otel/attribute"

// Attr is one attribute of a span or an event: a key and a string,
// integer, float or boolean value. Make one with String, Int, Float or
// Bool.
type Attr struct{ kv attribute.KeyValue }

// String is a string attribute.
func String(key, v string) Attr { return Attr{attribute.String(key, v)} }

// Int is an integer attribute.
func Int(key string, v int64) Attr { return Attr{attribute.Int64(key, v)} }

// Float is a floating-point attribute.
func Float(key string, v float64) Attr { return Attr{attribute.Float64(key, v)} }

// Bool is a boolean attribute.
func Bool(key string, v bool) Attr { return Attr{attribute.Bool(key, v)} }

// kvs returns the attributes as OpenTelemetry's.
func kvs(attrs []Attr) []attribute.KeyValue {
	out := make([]attribute.KeyValue, len(attrs))
	for i, a := range attrs {
		out[i] = a.kv
	}
	return out
}
