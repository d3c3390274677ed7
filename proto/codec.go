package proto

import (
	"fmt"

	gproto "google.golang.org/protobuf/proto"
)

// Encode returns e in its wire format.
func (x *TaskEnvelope) Encode() ([]byte, error) {
	b, err := gproto.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("proto: encode task envelope: %w", err)
	}
	return b, nil
}

// DecodeTaskEnvelope decodes a task envelope from its wire format.
func DecodeTaskEnvelope(b []byte) (*TaskEnvelope, error) {
	var x TaskEnvelope
	if err := gproto.Unmarshal(b, &x); err != nil {
		return nil, fmt.Errorf("proto: decode task envelope: %w", err)
	}
	return &x, nil
}
