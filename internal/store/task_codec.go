package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

// Task records are stored in a compact binary form: a task is written
// several times in its life (submitted, started, finished), each write
// inside the group commit, and read back for every result, so the
// encoding is on the durable path of every task. JSON cost about a fifth
// of the CPU of a trivial task end to end; this form is a few hundred
// nanoseconds each way.
//
// Layout (schema 2): the byte taskCodecV2, then every field of
// taskRecord in declaration order: strings and byte slices as a uvarint
// length and the bytes, integers as varints, times as one byte (0: the
// zero time) followed by the Unix seconds (varint) and nanoseconds
// (uvarint), lists as a uvarint count and the elements, Config's pairs
// sorted by key, and last a byte of flags (InBlob, OutBlob). Version 1
// (taskCodecV1) lacks InputBytes. Version 3 (taskCodecV3, schema 3) is
// version 2's fields followed by a CRC-32C (big-endian) of everything
// before it, the format byte included: bbolt does not check the pages
// that hold data, and a flipped bit must not become a wrong field.
// Records written by schema 1 are JSON objects, which start with '{'.
// Version 4 (taskCodecV4) is version 3 with QueueTimeoutMs
// (a varint) before the flags; version 5 (taskCodecV5) is version 4 with
// Owner (a string) before the flags; version 6 (taskCodecV6) is version 5
// with ErrorOutput (a string) and ErrorOutputTruncated (a byte, 0 or 1)
// before the flags; version 7 (taskCodecV7) is version 6 with Mounts
// before the flags: a count, then each mount's Bundle, Version (a
// varint), Path, Mode and Digest; version 8 (taskCodecV8) is version 7
// with TraceParent and TraceState (strings) before the flags. All are
// read; only version 8 is written.
const (
	taskCodecV1 = 0x01
	taskCodecV2 = 0x02
	taskCodecV3 = 0x03
	taskCodecV4 = 0x04
	taskCodecV5 = 0x05
	taskCodecV6 = 0x06
	taskCodecV7 = 0x07
	taskCodecV8 = 0x08
)

// errChecksum is a version-3 or later record whose checksum does not match.
var errChecksum = errors.New("checksum mismatch")

// errTruncated is a binary record that ends inside a field.
var errTruncated = errors.New("truncated")

// appendTaskRecord appends tr's binary form (version 8) to b.
func appendTaskRecord(b []byte, tr *taskRecord) []byte {
	start := len(b)
	b = append(b, taskCodecV8)
	b = appendTaskFields(b, tr, taskCodecV8)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// appendTaskFields appends tr's fields as version (2 or later) lays them
// out.
func appendTaskFields(b []byte, tr *taskRecord, version byte) []byte {
	r := &tr.Record
	b = appendString(b, r.ID)
	b = appendString(b, r.Module)
	b = binary.AppendVarint(b, int64(r.Version))
	b = appendString(b, string(r.State))
	b = binary.AppendVarint(b, int64(r.Priority))
	b = appendString(b, r.Category)
	b = binary.AppendUvarint(b, uint64(len(r.Tags)))
	for _, t := range r.Tags {
		b = appendString(b, t)
	}
	b = appendString(b, r.IdempotencyKey)
	b = binary.AppendVarint(b, r.Fuel)
	b = binary.AppendVarint(b, r.MemoryBytes)
	b = binary.AppendVarint(b, r.TimeoutMs)
	b = binary.AppendVarint(b, int64(r.MaxRetries))
	b = binary.AppendVarint(b, r.CacheTTLMs)
	b = binary.AppendUvarint(b, uint64(len(r.Config)))
	if len(r.Config) > 0 {
		for _, k := range slices.Sorted(maps.Keys(r.Config)) {
			b = appendString(b, k)
			b = appendString(b, r.Config[k])
		}
	}
	b = binary.AppendVarint(b, int64(r.Attempts))
	b = binary.AppendVarint(b, int64(r.RetryBase))
	for _, t := range [...]time.Time{r.SubmittedAt, r.RunAt, r.QueuedAt, r.StartedAt, r.FinishedAt, r.LeaseUntil, r.ExpiresAt} {
		b = appendTime(b, t)
	}
	b = binary.AppendVarint(b, r.FuelUsed)
	b = appendString(b, string(r.Output))
	b = appendString(b, r.Cache)
	b = appendString(b, r.ErrorCode)
	b = appendString(b, r.ErrorMessage)
	b = appendString(b, r.Logs)
	b = binary.AppendVarint(b, r.Progress[0])
	b = binary.AppendVarint(b, r.Progress[1])
	b = binary.AppendVarint(b, int64(r.CheckpointBytes))
	b = binary.AppendVarint(b, int64(r.Preemptions))
	b = binary.AppendUvarint(b, uint64(len(r.Events)))
	for _, ev := range r.Events {
		b = appendTime(b, ev.At)
		b = appendString(b, ev.Kind)
		b = binary.AppendVarint(b, int64(ev.Attempt))
	}
	b = appendString(b, string(r.Input))
	b = binary.AppendVarint(b, int64(r.InputBytes))
	if version >= taskCodecV4 {
		b = binary.AppendVarint(b, r.QueueTimeoutMs)
	}
	if version >= taskCodecV5 {
		b = appendString(b, r.Owner)
	}
	if version >= taskCodecV6 {
		b = appendString(b, r.ErrorOutput)
		var cut byte
		if r.ErrorOutputTruncated {
			cut = 1
		}
		b = append(b, cut)
	}
	if version >= taskCodecV7 {
		b = binary.AppendUvarint(b, uint64(len(r.Mounts)))
		for _, m := range r.Mounts {
			b = appendString(b, m.Bundle)
			b = binary.AppendVarint(b, int64(m.Version))
			b = appendString(b, m.Path)
			b = appendString(b, m.Mode)
			b = appendString(b, m.Digest)
		}
	}
	if version >= taskCodecV8 {
		b = appendString(b, r.TraceParent)
		b = appendString(b, r.TraceState)
	}
	var flags byte
	if tr.InBlob {
		flags |= 1
	}
	if tr.OutBlob {
		flags |= 2
	}
	return append(b, flags)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decodeTaskAt decodes the record stored as raw under key; a record that
// cannot be decoded, fails its checksum or names another task is a
// *CorruptError.
func decodeTaskAt(key, raw []byte, tr *taskRecord) error {
	if err := decodeTaskRecord(raw, tr); err != nil {
		return corrupt(string(bucketTasks), key, "%v", err)
	}
	if tr.ID != string(key) {
		return corrupt(string(bucketTasks), key, "holds task %q", tr.ID)
	}
	return nil
}

// decodeTaskRecord decodes a stored record in any of its forms.
func decodeTaskRecord(raw []byte, tr *taskRecord) error {
	if len(raw) > 0 && raw[0] == '{' {
		return json.Unmarshal(raw, tr)
	}
	body, err := taskBody(raw)
	if err != nil {
		return err
	}
	d := decoder{b: body}
	r := &tr.Record
	r.ID = d.string()
	r.Module = d.string()
	r.Version = d.int()
	r.State = tasks.State(d.string())
	r.Priority = d.int()
	r.Category = d.string()
	if n := d.count(); n > 0 {
		r.Tags = make([]string, n)
		for i := range r.Tags {
			r.Tags[i] = d.string()
		}
	}
	r.IdempotencyKey = d.string()
	r.Fuel = d.varint()
	r.MemoryBytes = d.varint()
	r.TimeoutMs = d.varint()
	r.MaxRetries = d.int()
	r.CacheTTLMs = d.varint()
	if n := d.count(); n > 0 {
		r.Config = make(map[string]string, n)
		for range n {
			k := d.string()
			r.Config[k] = d.string()
		}
	}
	r.Attempts = d.int()
	r.RetryBase = d.int()
	for _, t := range [...]*time.Time{&r.SubmittedAt, &r.RunAt, &r.QueuedAt, &r.StartedAt, &r.FinishedAt, &r.LeaseUntil, &r.ExpiresAt} {
		*t = d.time()
	}
	r.FuelUsed = d.varint()
	r.Output = d.bytes()
	r.Cache = d.string()
	r.ErrorCode = d.string()
	r.ErrorMessage = d.string()
	r.Logs = d.string()
	r.Progress[0] = d.varint()
	r.Progress[1] = d.varint()
	r.CheckpointBytes = d.int()
	r.Preemptions = d.int()
	if n := d.count(); n > 0 {
		r.Events = make([]tasks.Event, n)
		for i := range r.Events {
			r.Events[i] = tasks.Event{At: d.time(), Kind: d.string(), Attempt: d.int()}
		}
	}
	r.Input = d.bytes()
	if raw[0] >= taskCodecV2 {
		r.InputBytes = d.int()
	}
	if raw[0] >= taskCodecV4 {
		r.QueueTimeoutMs = d.varint()
	}
	if raw[0] >= taskCodecV5 {
		r.Owner = d.string()
	}
	if raw[0] >= taskCodecV6 {
		r.ErrorOutput = d.string()
		switch d.byte() {
		case 0:
		case 1:
			r.ErrorOutputTruncated = true
		default:
			if d.err == nil {
				return errors.New("error_output_truncated is neither 0 nor 1")
			}
		}
	}
	if raw[0] >= taskCodecV7 {
		if n := d.count(); n > 0 {
			r.Mounts = make([]tasks.Mount, n)
			for i := range r.Mounts {
				r.Mounts[i] = tasks.Mount{Bundle: d.string(), Version: d.int(), Path: d.string(), Mode: d.string(), Digest: d.string()}
			}
		}
	}
	if raw[0] >= taskCodecV8 {
		r.TraceParent = d.string()
		r.TraceState = d.string()
	}
	flags := d.byte()
	tr.InBlob, tr.OutBlob = flags&1 != 0, flags&2 != 0
	switch {
	case d.err != nil:
		return d.err
	case len(d.b) != 0:
		return fmt.Errorf("%d bytes after the record", len(d.b))
	}
	return nil
}

// taskBody returns the fields of a binary record, its checksum checked
// if it has one.
func taskBody(raw []byte) ([]byte, error) {
	if len(raw) == 0 || raw[0] < taskCodecV1 || raw[0] > taskCodecV8 {
		return nil, errors.New("unknown record encoding")
	}
	if raw[0] < taskCodecV3 {
		return raw[1:], nil
	}
	if len(raw) < 5 {
		return nil, errTruncated
	}
	n := len(raw) - 4
	if binary.BigEndian.Uint32(raw[n:]) != crc32.Checksum(raw[:n], castagnoli) {
		return nil, errChecksum
	}
	return raw[1:n], nil
}

// decodeTaskRevision returns the revision of the record stored as raw
// under key, reading only what it needs: it runs for every conditional
// write, inside the group commit. Errors are decodeTaskAt's.
func decodeTaskRevision(key, raw []byte) (tasks.Revision, error) {
	if len(raw) > 0 && raw[0] == '{' {
		var tr taskRecord
		err := decodeTaskAt(key, raw, &tr)
		return tr.Revision(), err
	}
	rev, err := taskRevision(key, raw)
	if err != nil {
		return rev, corrupt(string(bucketTasks), key, "%v", err)
	}
	return rev, nil
}

// taskRevision walks a binary record to the fields of its revision.
func taskRevision(key, raw []byte) (tasks.Revision, error) {
	var rev tasks.Revision
	body, err := taskBody(raw)
	if err != nil {
		return rev, err
	}
	d := decoder{b: body}
	if id := d.raw(); string(id) != string(key) {
		return rev, fmt.Errorf("holds task %q", id)
	}
	d.raw() // module
	d.varint()
	rev.State = tasks.State(d.raw())
	d.varint()
	d.raw()
	for n := d.count(); n > 0; n-- { // tags
		d.raw()
	}
	d.raw()
	for range 5 { // fuel, memory, timeout, retries, cache ttl
		d.varint()
	}
	for n := d.count(); n > 0; n-- { // config
		d.raw()
		d.raw()
	}
	rev.Attempts = d.int()
	if raw[0] >= taskCodecV5 {
		// Owner is after the fields of version 4: walk there.
		d.varint()
		for range 7 {
			d.time()
		}
		d.varint()
		for range 5 { // output, cache, error code and message, logs
			d.raw()
		}
		for range 4 { // progress, checkpoint bytes, preemptions
			d.varint()
		}
		for n := d.count(); n > 0; n-- { // events
			d.time()
			d.raw()
			d.varint()
		}
		d.raw()    // input
		d.varint() // input bytes
		d.varint() // queue timeout
		rev.Owner = string(d.raw())
	}
	return rev, d.err
}

// decoder reads a binary record. After the first error every read
// returns a zero value and err keeps that error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err, d.b = errTruncated, nil }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if !d.skip(n) {
		return 0
	}
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if !d.skip(n) {
		return 0
	}
	return v
}

// skip passes the n bytes of a varint just decoded, or fails for n <= 0
// (binary.Varint's answer to a truncated or overlong one).
func (d *decoder) skip(n int) bool {
	if n <= 0 {
		d.fail()
		return false
	}
	d.b = d.b[n:]
	return true
}

func (d *decoder) int() int { return int(d.varint()) }

// count reads a list length, which cannot exceed the bytes left (every
// element takes at least one).
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) raw() []byte {
	n := d.count()
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) string() string { return string(d.raw()) }

// bytes returns a copy of a byte field, nil when empty.
func (d *decoder) bytes() []byte {
	s := d.raw()
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func (d *decoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}
