package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

// fullRecord has every field of tasks.Record set, so that a field the
// codec forgets fails the round trip.
func fullRecord() taskRecord {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t.UTC()
	}
	return taskRecord{Record: tasks.Record{
		ID: "0192b3c4d5e6f708", Module: "echo", Version: 3, State: tasks.Dead, Priority: 7,
		Category: "tenant-a", Tags: []string{"a", "", "ünïcode"}, IdempotencyKey: "order-17",
		Fuel: 1e10, MemoryBytes: 64 << 20, TimeoutMs: 30_000, MaxRetries: 5, CacheTTLMs: 3_600_000,
		Config:   map[string]string{"z": "last", "a": "first", "": "empty key"},
		Attempts: 6, RetryBase: 1,
		SubmittedAt: at("2026-12-06T08:00:00.123456789Z"),
		RunAt:       at("9999-12-31T23:59:59.999999999Z"), // past UnixNano's range
		QueuedAt:    at("1969-07-20T20:17:40.5Z"),         // before the epoch
		StartedAt:   at("2026-12-06T08:00:01Z"),
		FinishedAt:  at("2026-12-06T08:00:02.000000001Z"),
		LeaseUntil:  at("2026-12-06T08:00:31Z"),
		ExpiresAt:   at("2026-12-07T08:00:02Z"),
		FuelUsed:    -1, // never negative in practice; negative varints must survive too
		Output:      []byte{0, 1, 2, 0xff},
		Cache:       tasks.CacheMiss, ErrorCode: "trap", ErrorMessage: "unreachable\nexecuted",
		Logs: "line 1\nline 2\n", Progress: [2]int64{3, 10}, CheckpointBytes: 12, Preemptions: 2,
		Events: []tasks.Event{
			{At: at("2026-12-06T08:00:01.5Z"), Kind: tasks.EventPreempted, Attempt: 1},
			{At: at("2026-12-06T08:00:01.7Z"), Kind: tasks.EventPreempted, Attempt: 6},
		},
		Input: []byte("input"), InputBytes: 5, QueueTimeoutMs: 250, Owner: "0192b3c4d5e6f7ff",
		ErrorOutput: "printed before\nthe trap", ErrorOutputTruncated: true,
		Mounts:      []tasks.Mount{{Bundle: "fixtures", Version: 2, Path: "/data", Mode: "rw", Digest: "sha256:00ff"}, {Bundle: "b", Path: "/", Mode: "ro"}},
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceState: "congo=t61rcWkgMzE",
	}, InBlob: true, OutBlob: true}
}

// TestTaskCodecRoundTrip: every field survives encoding and decoding, and
// a schema-1 JSON record decodes to the same record.
func TestTaskCodecRoundTrip(t *testing.T) {
	want := fullRecord()
	v := reflect.ValueOf(want.Record)
	for i := range v.NumField() {
		if v.Field(i).IsZero() && v.Type().Field(i).Name != "OutputBytes" { // a listing's, not stored
			t.Fatalf("fullRecord leaves %s zero", v.Type().Field(i).Name)
		}
	}
	enc := appendTaskRecord(nil, &want)
	var got taskRecord
	if err := decodeTaskRecord(enc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}

	js, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON taskRecord
	if err := decodeTaskRecord(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, want) {
		t.Fatalf("schema-1 JSON:\n got %+v\nwant %+v", fromJSON, want)
	}

	// Version 7, written before the trace context: the same fields
	// without it.
	want.TraceParent, want.TraceState = "", ""
	v7 := append([]byte{taskCodecV7}, appendTaskFields(nil, &want, taskCodecV7)...)
	v7 = binary.BigEndian.AppendUint32(v7, crc32.Checksum(v7, castagnoli))
	var fromV7 taskRecord
	if err := decodeTaskRecord(v7, &fromV7); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromV7, want) {
		t.Fatalf("version 7:\n got %+v\nwant %+v", fromV7, want)
	}

	// Version 6, written before Mounts: the same fields without them.
	want.Mounts = nil
	v6 := append([]byte{taskCodecV6}, appendTaskFields(nil, &want, taskCodecV6)...)
	v6 = binary.BigEndian.AppendUint32(v6, crc32.Checksum(v6, castagnoli))
	var fromV6 taskRecord
	if err := decodeTaskRecord(v6, &fromV6); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromV6, want) {
		t.Fatalf("version 6:\n got %+v\nwant %+v", fromV6, want)
	}

	// Version 5, written before ErrorOutput: the same fields without it.
	want.ErrorOutput, want.ErrorOutputTruncated = "", false
	fields5 := appendTaskFields(nil, &want, taskCodecV5)
	v5 := append([]byte{taskCodecV5}, fields5...)
	v5 = binary.BigEndian.AppendUint32(v5, crc32.Checksum(v5, castagnoli))
	var fromV5 taskRecord
	if err := decodeTaskRecord(v5, &fromV5); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromV5, want) {
		t.Fatalf("version 5:\n got %+v\nwant %+v", fromV5, want)
	}

	// Version 4, written before Owner: the same fields without it.
	want.Owner = ""
	fields4 := appendTaskFields(nil, &want, taskCodecV4)
	v4 := append([]byte{taskCodecV4}, fields4...)
	v4 = binary.BigEndian.AppendUint32(v4, crc32.Checksum(v4, castagnoli))
	var fromV4 taskRecord
	if err := decodeTaskRecord(v4, &fromV4); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromV4, want) {
		t.Fatalf("version 4:\n got %+v\nwant %+v", fromV4, want)
	}

	// Version 3, written before QueueTimeoutMs, and version 2, written
	// before the checksum: the same fields without them.
	want.QueueTimeoutMs = 0
	fields := appendTaskFields(nil, &want, taskCodecV3)
	v3 := append([]byte{taskCodecV3}, fields...)
	v3 = binary.BigEndian.AppendUint32(v3, crc32.Checksum(v3, castagnoli))
	var fromV3 taskRecord
	if err := decodeTaskRecord(v3, &fromV3); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromV3, want) {
		t.Fatalf("version 3:\n got %+v\nwant %+v", fromV3, want)
	}
	v2 := append([]byte{taskCodecV2}, fields...)
	var fromV2 taskRecord
	if err := decodeTaskRecord(v2, &fromV2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromV2, want) {
		t.Fatalf("version 2:\n got %+v\nwant %+v", fromV2, want)
	}

	// Version 1, written before InputBytes: version 2 without it (its
	// varint is one byte here, just before the flags).
	v1 := append([]byte{taskCodecV1}, fields[:len(fields)-2]...)
	v1 = append(v1, fields[len(fields)-1])
	var fromV1 taskRecord
	if err := decodeTaskRecord(v1, &fromV1); err != nil {
		t.Fatal(err)
	}
	wantV1 := want
	wantV1.InputBytes = 0
	if !reflect.DeepEqual(fromV1, wantV1) {
		t.Fatalf("version 1:\n got %+v\nwant %+v", fromV1, wantV1)
	}

	var empty taskRecord
	if err := decodeTaskRecord(appendTaskRecord(nil, &taskRecord{}), &empty); err != nil || !reflect.DeepEqual(empty, taskRecord{}) {
		t.Fatalf("zero record: %+v, %v", empty, err)
	}
}

// TestTaskRevision: the revision read by walking a record is the one its
// full decoding gives, in every form, and damage is refused the same way.
func TestTaskRevision(t *testing.T) {
	full := fullRecord()
	forms := map[string][]byte{"v7": appendTaskRecord(nil, &full)}
	old := full
	old.Mounts = nil
	v6 := append([]byte{taskCodecV6}, appendTaskFields(nil, &old, taskCodecV6)...)
	forms["v6"] = binary.BigEndian.AppendUint32(v6, crc32.Checksum(v6, castagnoli))
	old.ErrorOutput, old.ErrorOutputTruncated = "", false
	v5 := append([]byte{taskCodecV5}, appendTaskFields(nil, &old, taskCodecV5)...)
	forms["v5"] = binary.BigEndian.AppendUint32(v5, crc32.Checksum(v5, castagnoli))
	old.Owner = ""
	v4 := append([]byte{taskCodecV4}, appendTaskFields(nil, &old, taskCodecV4)...)
	forms["v4"] = binary.BigEndian.AppendUint32(v4, crc32.Checksum(v4, castagnoli))
	forms["v2"] = append([]byte{taskCodecV2}, appendTaskFields(nil, &old, taskCodecV2)...)
	js, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	forms["json"] = js
	forms["empty"] = appendTaskRecord(nil, &taskRecord{})
	for name, raw := range forms {
		var tr taskRecord
		if err := decodeTaskRecord(raw, &tr); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := decodeTaskRevision([]byte(tr.ID), raw)
		if err != nil || got != tr.Revision() {
			t.Errorf("%s: revision %+v, %v; want %+v", name, got, err, tr.Revision())
		}
	}
	enc := forms["v7"]
	if _, err := decodeTaskRevision([]byte("other"), enc); !errors.Is(err, ErrCorrupt) {
		t.Errorf("record under another key: %v", err)
	}
	bad := slices.Clone(enc)
	bad[len(bad)/2] ^= 1
	if _, err := decodeTaskRevision([]byte(full.ID), bad); !errors.Is(err, ErrCorrupt) {
		t.Errorf("flipped bit: %v", err)
	}
}

// TestTaskCodecChecksum: every single-bit change of a version-3 record
// is refused; none decodes to a record with a wrong field.
func TestTaskCodecChecksum(t *testing.T) {
	r := fullRecord()
	enc := appendTaskRecord(nil, &r)
	for i := range enc {
		for bit := range 8 {
			raw := slices.Clone(enc)
			raw[i] ^= 1 << bit
			var tr taskRecord
			if err := decodeTaskRecord(raw, &tr); err == nil {
				t.Fatalf("byte %d bit %d flipped: decoded without error", i, bit)
			}
			if err := decodeTaskAt([]byte(r.ID), raw, &tr); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d bit %d flipped: %v, want ErrCorrupt", i, bit, err)
			}
		}
	}
	// A record under another task's key is damage too.
	if err := decodeTaskAt([]byte("other"), enc, new(taskRecord)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("record under another key: %v", err)
	}
}

// TestTaskCodecRejects: a truncated, extended or unknown record is an
// error, never a panic or a partial record taken for whole.
func TestTaskCodecRejects(t *testing.T) {
	r := fullRecord()
	enc := appendTaskRecord(nil, &r)
	// A truncation byte other than 0 or 1, under a valid checksum (in a
	// version-7 record, where it is just before the flags).
	v7 := append([]byte{taskCodecV7}, appendTaskFields(nil, &r, taskCodecV7)...)
	twoFlag := slices.Clone(v7)
	twoFlag[len(twoFlag)-2] = 2
	twoFlag = binary.BigEndian.AppendUint32(twoFlag, crc32.Checksum(twoFlag, castagnoli))
	for _, raw := range [][]byte{nil, {0x02}, {0x07, 0, 0, 0, 0}, {0x09, 0, 0, 0, 0}, enc[:1], enc[:len(enc)/2], enc[:len(enc)-1], append(enc[:len(enc):len(enc)], 0), twoFlag} {
		var tr taskRecord
		if err := decodeTaskRecord(raw, &tr); err == nil {
			t.Errorf("decoded %d bytes of %d without error", len(raw), len(enc))
		}
	}
}

func FuzzTaskCodec(f *testing.F) {
	r := fullRecord()
	f.Add(appendTaskRecord(nil, &r))
	f.Add(appendTaskRecord(nil, &taskRecord{}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var tr taskRecord
		if len(raw) > 0 && raw[0] == '{' {
			return // JSON: encoding/json's own business
		}
		if decodeTaskRecord(raw, &tr) != nil {
			return
		}
		var again taskRecord
		if err := decodeTaskRecord(appendTaskRecord(nil, &tr), &again); err != nil || !reflect.DeepEqual(again, tr) {
			t.Fatalf("re-encoding a decoded record: %v\n got %+v\nwant %+v", err, again, tr)
		}
	})
}
