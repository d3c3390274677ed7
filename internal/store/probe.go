package store

import (
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keyProbe is the meta key the health probe writes.
var keyProbe = []byte("health_probe")

// Probe writes the time to the meta bucket in a write transaction of its
// own, synced like every other: the health check that the store can be
// written (and the disk under it takes a write). It is safe for
// concurrent use.
func (db *DB) Probe() error {
	if db.readOnly {
		return errors.New("store: opened read-only")
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyProbe, binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano())))
	})
}
