// Package otlptest is a real OTLP/HTTP trace receiver for tests: an HTTP
// server on 127.0.0.1 that decodes each export request's protobuf and
// keeps its spans, so tests check the spans a process exported, not what
// a mock tracer was told.
package otlptest

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Span is one exported span, decoded.
type Span struct {
	Name           string
	TraceID        string // hex
	SpanID         string // hex
	ParentSpanID   string // hex; "" for a root span
	Kind           int32
	Start, End     time.Time
	Attrs          map[string]string // values printed as text
	Events         []Event
	StatusError    bool
	ServiceName    string
	StatusMessage  string
	ResourceAttrs  map[string]string
	ScopeName      string
	TraceState     string
	DroppedEvents  uint32
	DroppedAttribs uint32
}

// Event is a span event, decoded.
type Event struct {
	Name  string
	Time  time.Time
	Attrs map[string]string
}

// Receiver is the test receiver. Its methods are safe for concurrent use.
type Receiver struct {
	srv  *httptest.Server // OTLP/HTTP (New)
	grpc *grpc.Server     // OTLP/gRPC (NewGRPC)
	addr string

	mu       sync.Mutex
	spans    []Span
	requests int
	changed  chan struct{} // closed and replaced when spans arrive
}

// New starts a Receiver; Close stops it.
func New() *Receiver {
	r := &Receiver{changed: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

// URL is the receiver's base URL (http://127.0.0.1:PORT); exports go to
// URL + "/v1/traces".
func (r *Receiver) URL() string { return r.srv.URL }

// Close stops the receiver.
func (r *Receiver) Close() {
	if r.srv != nil {
		r.srv.Close()
	}
	if r.grpc != nil {
		r.grpc.Stop()
	}
}

// add keeps spans and wakes Wait.
func (r *Receiver) add(spans []Span) {
	r.mu.Lock()
	r.spans = append(r.spans, spans...)
	r.requests++
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.Error(w, "not an OTLP trace export", http.StatusNotFound)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.add(decode(&msg))
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// decode flattens an export request into Spans.
func decode(msg *collectortrace.ExportTraceServiceRequest) []Span {
	var out []Span
	for _, rs := range msg.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				sp := Span{
					Name: s.GetName(), TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					Kind:  int32(s.GetKind()),
					Start: time.Unix(0, int64(s.GetStartTimeUnixNano())), End: time.Unix(0, int64(s.GetEndTimeUnixNano())),
					Attrs: attrs(s.GetAttributes()), ServiceName: res["service.name"], ResourceAttrs: res,
					ScopeName: ss.GetScope().GetName(), TraceState: s.GetTraceState(),
					StatusError: s.GetStatus().GetCode() == 2, StatusMessage: s.GetStatus().GetMessage(),
					DroppedEvents: s.GetDroppedEventsCount(), DroppedAttribs: s.GetDroppedAttributesCount(),
				}
				if p := s.GetParentSpanId(); len(p) > 0 {
					sp.ParentSpanID = hex.EncodeToString(p)
				}
				for _, e := range s.GetEvents() {
					sp.Events = append(sp.Events, Event{Name: e.GetName(), Time: time.Unix(0, int64(e.GetTimeUnixNano())), Attrs: attrs(e.GetAttributes())})
				}
				out = append(out, sp)
			}
		}
	}
	return out
}

// attrs prints attribute values as text.
func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = text(kv.GetValue())
	}
	return m
}

func text(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return itoa(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		if x.BoolValue {
			return "true"
		}
		return "false"
	case *commonpb.AnyValue_DoubleValue:
		return ftoa(x.DoubleValue)
	}
	return v.String()
}

// Spans returns the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Wait returns the spans received once done says they are complete, or
// the spans so far and false when timeout passes first. It wakes on each
// export, never on a timer.
func (r *Receiver) Wait(timeout time.Duration, done func([]Span) bool) ([]Span, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		spans, ch := append([]Span(nil), r.spans...), r.changed
		r.mu.Unlock()
		if done(spans) {
			return spans, true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return spans, false
		}
	}
}
