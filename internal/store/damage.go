package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/nexustask/nexus/internal/errkind"

	bolt "go.etcd.io/bbolt"
)

// Damage: bbolt checks its meta pages but not the pages that hold data, so
// a flipped bit in a value would be read back as a different value. Task
// records, task blobs and checkpoints, schedules, schedule runs and kv
// values therefore carry a CRC-32C that is verified on every read; a record that fails is refused
// with an error matching ErrCorrupt, never returned with wrong fields.
//
// Point reads (Task, Schedule, Get …) return that error. Scans that must
// go on for the server to work (ActiveTasks at start-up, ListTasks,
// ExpiredTasks, Schedules) skip the damaged record and note it: Damaged
// lists what was skipped, and Check reports every damaged record in the
// file.

// ErrCorrupt is matched (errors.Is) by every error about a damaged record
// or file; the error itself is a *CorruptError naming the record. It
// wraps errkind.ErrDamaged, so the API answers 500 data_damaged.
var ErrCorrupt error = corruptSentinel{}

// corruptSentinel is ErrCorrupt: the store's message around the one
// sentinel of the error table.
type corruptSentinel struct{}

func (corruptSentinel) Error() string { return "store: damaged data" }
func (corruptSentinel) Unwrap() error { return errkind.ErrDamaged }

// CorruptError is a record that failed its checksum or could not be
// decoded. It matches ErrCorrupt.
type CorruptError struct {
	Bucket string // the bucket, with sub-buckets as "kv/NAMESPACE"
	Key    string // the record's key, as stored
	Reason string // what is wrong with it
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store: damaged record %s/%q: %s: restore a backup with 'nexus store restore', or inspect the file with 'nexus store check'", e.Bucket, e.Key, e.Reason)
}

// Is reports whether target is ErrCorrupt or errkind.ErrDamaged.
func (e *CorruptError) Is(target error) bool {
	return target == ErrCorrupt || target == errkind.ErrDamaged
}

func corrupt(bucket string, key []byte, format string, args ...any) *CorruptError {
	return &CorruptError{Bucket: bucket, Key: string(key), Reason: fmt.Sprintf(format, args...)}
}

// castagnoli is the CRC-32C table (hardware-accelerated on amd64 and arm64).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// keyedSum is the CRC-32C of key followed by value: a record moved under
// another key by a flipped bit fails as surely as a changed value.
func keyedSum(key, value []byte) uint32 {
	return crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, value)
}

// maxDamaged bounds the damaged records a DB remembers.
const maxDamaged = 1000

// damageLog remembers the damaged records that scans skipped.
type damageLog struct {
	mu    sync.Mutex
	seen  map[string]bool
	list  []*CorruptError
	total int
}

// note records e once.
func (d *damageLog) note(e *CorruptError) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := e.Bucket + "\x00" + e.Key
	if d.seen[k] {
		return
	}
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	d.seen[k] = true
	d.total++
	if len(d.list) < maxDamaged {
		d.list = append(d.list, e)
	}
}

// Damaged returns the damaged records that reads have skipped since Open
// (at most the first 1000) and how many there were. A server logs them
// after start-up: each is a task, schedule or value that exists in the
// file but could not be read. It is safe for concurrent use.
func (db *DB) Damaged() ([]*CorruptError, int) {
	db.damage.mu.Lock()
	defer db.damage.mu.Unlock()
	return append([]*CorruptError(nil), db.damage.list...), db.damage.total
}

// skipDamaged returns nil after noting err if it is a *CorruptError, and
// err otherwise: the scans' way past a damaged record.
func (db *DB) skipDamaged(err error) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		db.damage.note(ce)
		return nil
	}
	return err
}

// sealFormat is the first byte of a sealed value: the format byte, a
// CRC-32C (big-endian) of the value's key and the value, then the value.
// Schedules and runs stored before schema 3 are JSON, which starts with
// '{'; kv values were rewritten sealed by the upgrade.
const (
	sealFormat = 0x01
	sealHeader = 5
)

// seal returns value sealed under key.
func seal(key, value []byte) []byte {
	b := make([]byte, sealHeader, sealHeader+len(value))
	b[0] = sealFormat
	binary.BigEndian.PutUint32(b[1:], keyedSum(key, value))
	return append(b, value...)
}

// unseal returns the value sealed in stored under key (a slice of stored),
// or a *CorruptError naming bucket and key.
func unseal(bucket string, key, stored []byte) ([]byte, error) {
	if len(stored) < sealHeader || stored[0] != sealFormat {
		return nil, corrupt(bucket, key, "unknown value format")
	}
	v := stored[sealHeader:]
	if binary.BigEndian.Uint32(stored[1:]) != keyedSum(key, v) {
		return nil, corrupt(bucket, key, "checksum mismatch")
	}
	return v, nil
}

// unseal is the package's unseal, or v itself in a file whose values are
// stored bare (legacy).
func (db *DB) unseal(bucket string, key, v []byte) ([]byte, error) {
	if db.legacy {
		return v, nil
	}
	return unseal(bucket, key, v)
}

// unsealAny returns the value sealed in v, or v itself if it is bare:
// for deletes, which must work in either form.
func unsealAny(v []byte) ([]byte, error) {
	if len(v) >= sealHeader && v[0] == sealFormat {
		return v[sealHeader:], nil
	}
	return v, nil
}

// putSealed stores value sealed under key in b.
func putSealed(b *bolt.Bucket, key, value []byte) error { return b.Put(key, seal(key, value)) }

// sealBareValues seals the values that schema 2 and older stored bare: kv
// values (sealed under namespace NUL key), task blobs and checkpoints.
func sealBareValues(tx *bolt.Tx) error {
	kv := tx.Bucket(bucketKV)
	var names [][]byte
	if err := kv.ForEachBucket(func(k []byte) error {
		names = append(names, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, ns := range names {
		if err := sealAll(kv.Bucket(ns), func(k []byte) []byte { return kvSealKey(string(ns), k) }); err != nil {
			return fmt.Errorf("store: sealing kv values of %s: %w", ns, err)
		}
	}
	for _, name := range [][]byte{bucketTaskBlobs, bucketTaskCkpt, bucketTaskIdem} {
		if err := sealAll(tx.Bucket(name), func(k []byte) []byte { return k }); err != nil {
			return fmt.Errorf("store: sealing %s: %w", name, err)
		}
	}
	return nil
}

// sealAll rewrites every value of b sealed under sealKey(key), but for
// those already sealed: the upgrade may run again after a crash.
func sealAll(b *bolt.Bucket, sealKey func(key []byte) []byte) error {
	var keys, vals [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		if _, err := unseal("", sealKey(k), v); err == nil {
			return nil
		}
		if v != nil {
			keys, vals = append(keys, bytes.Clone(k)), append(vals, seal(sealKey(k), v))
		}
		return nil
	}); err != nil {
		return err
	}
	for i := range keys {
		if err := b.Put(keys[i], vals[i]); err != nil {
			return err
		}
	}
	return nil
}
