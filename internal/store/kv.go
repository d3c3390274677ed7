package store

import (
	"encoding/binary"
	"fmt"

	"github.com/nexustask/nexus/host"
	bolt "go.etcd.io/bbolt"
)

var _ host.KV = (*DB)(nil)

var (
	// bucketKV holds one sub-bucket per namespace (module name): key → value.
	bucketKV = []byte("kv")
	// bucketKVSize holds namespace → uint64 total of key and value bytes.
	bucketKVSize = []byte("kvsize")
)

// Get implements host.KV.
func (db *DB) Get(ns, key string) ([]byte, bool, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketKV).Bucket([]byte(ns)); b != nil {
			if v := b.Get([]byte(key)); v != nil {
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
			total -= int64(len(key) + len(old))
		}
		total += int64(len(key) + len(value))
		if total > maxTotal {
			return fmt.Errorf("%w: %d bytes would pass %d", host.ErrKVFull, total, maxTotal)
		}
		if err := b.Put([]byte(key), value); err != nil {
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
		total := kvTotal(tx, ns) - int64(len(key)+len(old))
		if err := b.Delete([]byte(key)); err != nil {
			return err
		}
		return setKVTotal(tx, ns, total)
	})
	return found, err
}

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
