package store

import (
	"encoding/binary"
	"fmt"

	"github.com/nexustask/nexus/host"
	bolt "go.etcd.io/bbolt"
)

var _ host.KV = (*DB)(nil)

var (
	// bucketKV holds one sub-bucket per namespace (module name): key →
	// value, sealed under namespace NUL key (seal).
	bucketKV = []byte("kv")
	// bucketKVSize holds namespace → uint64 total of key and value bytes
	// (the values as the guest wrote them, without their seal).
	bucketKVSize = []byte("kvsize")
)

// Get implements host.KV. A value whose checksum fails is an error
// matching ErrCorrupt.
func (db *DB) Get(ns, key string) ([]byte, bool, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketKV).Bucket([]byte(ns)); b != nil {
			if v := b.Get([]byte(key)); v != nil {
				v, err := db.kvValue(ns, []byte(key), v)
				if err != nil {
					return err
				}
				out = append([]byte{}, v...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: kv get: %w", err)
	}
	return out, out != nil, nil
}

// Set implements host.KV.
func (db *DB) Set(ns, key string, value []byte, maxTotal int64) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketKV).CreateBucketIfNotExists([]byte(ns))
		if err != nil {
			return err
		}
		total := kvTotal(tx, ns)
		if old := b.Get([]byte(key)); old != nil {
			total -= int64(len(key) + kvLen(old))
		}
		total += int64(len(key) + len(value))
		if total > maxTotal {
			return fmt.Errorf("%w: %d bytes would pass %d", host.ErrKVFull, total, maxTotal)
		}
		if err := b.Put([]byte(key), sealKV(ns, []byte(key), value)); err != nil {
			return err
		}
		return setKVTotal(tx, ns, total)
	})
}

// Delete implements host.KV.
func (db *DB) Delete(ns, key string) (bool, error) {
	found := false
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Bucket([]byte(ns))
		if b == nil {
			return nil
		}
		old := b.Get([]byte(key))
		if old == nil {
			return nil
		}
		found = true
		total := kvTotal(tx, ns) - int64(len(key)+kvLen(old))
		if err := b.Delete([]byte(key)); err != nil {
			return err
		}
		return setKVTotal(tx, ns, total)
	})
	return found, err
}

// kvSealKey is what a kv value is sealed under: its namespace, NUL, key.
func kvSealKey(ns string, key []byte) []byte {
	k := make([]byte, 0, len(ns)+1+len(key))
	k = append(k, ns...)
	k = append(k, 0)
	return append(k, key...)
}

func sealKV(ns string, key, value []byte) []byte { return seal(kvSealKey(ns, key), value) }

// kvValue returns the value stored as v under ns and key.
func (db *DB) kvValue(ns string, key, v []byte) ([]byte, error) {
	return db.unseal("kv/"+ns, kvSealKey(ns, key), v)
}

// kvLen is the length of the value stored as v, as the guest wrote it.
func kvLen(v []byte) int { return max(len(v)-sealHeader, 0) }

// deleteKVNamespace drops every key of ns.
func deleteKVNamespace(tx *bolt.Tx, ns string) error {
	if tx.Bucket(bucketKV).Bucket([]byte(ns)) != nil {
		if err := tx.Bucket(bucketKV).DeleteBucket([]byte(ns)); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketKVSize).Delete([]byte(ns))
}

func kvTotal(tx *bolt.Tx, ns string) int64 {
	if v := tx.Bucket(bucketKVSize).Get([]byte(ns)); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}

func setKVTotal(tx *bolt.Tx, ns string, total int64) error {
	return tx.Bucket(bucketKVSize).Put([]byte(ns), binary.BigEndian.AppendUint64(nil, uint64(total)))
}
