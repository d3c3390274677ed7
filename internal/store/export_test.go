package store

import "github.com/nexustask/nexus/internal/tasks"

// EncodeTaskV2 encodes r as schema 2 stored it: codec version 2, no
// checksum.
func EncodeTaskV2(r *tasks.Record) []byte {
	tr := taskRecord{Record: *r}
	if len(r.Input) > InlineTaskBytes {
		tr.Input, tr.InBlob = nil, true
	}
	return appendTaskFields([]byte{taskCodecV2}, &tr, taskCodecV2)
}
