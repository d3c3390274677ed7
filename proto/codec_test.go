package proto_test

import (
	"testing"

	gproto "google.golang.org/protobuf/proto"

	"github.com/nexustask/nexus/proto"
)

func TestTaskEnvelopeRoundTrip(t *testing.T) {
	e := &proto.TaskEnvelope{TaskId: "t1", Module: "mod", Version: 3, Band: 2, Attempts: 1,
		NodeSelector: map[string]string{"gpu": "true"}, TraceParent: "00-abc-def-01", QueuedAtMs: 1765094400000}
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := proto.DecodeTaskEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if !gproto.Equal(got, e) {
		t.Fatalf("round trip: %v, want %v", got, e)
	}
	if _, err := proto.DecodeTaskEnvelope([]byte{0xff, 0xff}); err == nil {
		t.Fatal("decoding garbage: no error")
	}
}
