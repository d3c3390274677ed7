package events

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"
)

// Events are stored in a compact binary form: a task's life is four
// events or more, each written inside the group commit, so their size is
// bytes every commit syncs. JSON is made only for readers (Event.JSON),
// once per event.
//
// Layout (codecV1): the byte codecV1; the type as a uvarint index into
// Types (types are only ever appended to Types); the time as Unix
// nanoseconds (varint); TaskID, Module, State, Category, Node as strings
// (a uvarint length, the bytes); Version, Attempt, Priority as varints;
// Tags as a uvarint count and strings; and Data as a string holding its
// JSON, empty when Data is zero. codecV2 is codecV1 followed by Workflow
// (a string); codecV3 is codecV2 followed by TraceParent (a string). All
// are read, codecV3 is written.
const (
	codecV1 = 0x01
	codecV2 = 0x02
	codecV3 = 0x03
)

var (
	errTruncated = errors.New("truncated")
	errFormat    = errors.New("unknown format")
)

// typeIndex maps a type to its index in Types.
var typeIndex = func() map[string]uint64 {
	m := make(map[string]uint64, len(Types))
	for i, t := range Types {
		m[t] = uint64(i)
	}
	return m
}()

func appendEvent(b []byte, e *Event) []byte {
	b = append(b, codecV3)
	b = binary.AppendUvarint(b, typeIndex[e.Type])
	b = binary.AppendVarint(b, e.Time.UnixNano())
	for _, s := range [...]string{e.TaskID, e.Module, e.State, e.Category, e.Node} {
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, int64(e.Version))
	b = binary.AppendVarint(b, int64(e.Attempt))
	b = binary.AppendVarint(b, int64(e.Priority))
	b = binary.AppendUvarint(b, uint64(len(e.Tags)))
	for _, t := range e.Tags {
		b = appendString(b, t)
	}
	if e.Data.isZero() {
		b = append(b, 0)
	} else {
		data, _ := json.Marshal(&e.Data) // no field can fail to encode
		b = appendString(b, string(data))
	}
	b = appendString(b, e.Workflow)
	return appendString(b, e.TraceParent)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// isZero reports whether d has no field set.
func (d *Data) isZero() bool {
	return d.ErrorCode == "" && d.ErrorMessage == "" && d.FuelUsed == 0 && d.DurationMs == 0 &&
		d.Done == 0 && d.Total == 0 && d.RunAt == nil && d.Cache == "" && d.CheckpointBytes == 0 &&
		d.Schedule == "" && d.Due == nil && d.Reason == "" && d.Bundle == "" && d.Digest == "" &&
		d.Size == 0 && d.Tag == "" && d.Key == "" && d.Removed == 0 && d.Webhook == "" && d.URL == "" &&
		d.Step == "" && len(d.Summary) == 0 && d.Output == nil
}

// decoder reads a binary event; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errTruncated
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func decodeEvent(b []byte) (*Event, error) {
	if len(b) == 0 || b[0] < codecV1 || b[0] > codecV3 {
		return nil, errFormat
	}
	d := &decoder{b: b[1:]}
	e := new(Event)
	if i := d.uvarint(); i < uint64(len(Types)) {
		e.Type = Types[i]
	} else if d.err == nil {
		return nil, errors.New("unknown event type")
	}
	e.Time = time.Unix(0, d.varint()).UTC()
	e.TaskID, e.Module, e.State, e.Category, e.Node = d.string(), d.string(), d.string(), d.string(), d.string()
	e.Version, e.Attempt, e.Priority = int(d.varint()), int(d.varint()), int(d.varint())
	if n := d.uvarint(); n > 0 && n <= uint64(len(d.b)) {
		e.Tags = make([]string, n)
		for i := range e.Tags {
			e.Tags[i] = d.string()
		}
	} else if n > 0 {
		d.err = errTruncated
	}
	if data := d.string(); data != "" && d.err == nil {
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, err
		}
	}
	if b[0] >= codecV2 {
		e.Workflow = d.string()
	}
	if b[0] >= codecV3 {
		e.TraceParent = d.string()
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return e, nil
}
