// Package store is NexusTask's durable state on bbolt. It is the only
// package that imports bbolt: it owns the buckets, their encoding and the
// schema version kept in the file.
//
// A DB is safe for concurrent use. Values returned are copies and stay
// valid after the transaction that read them.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this package reads and writes. Opening a file
// written by a newer schema fails with ErrSchemaTooNew; an older one is
// read as it is and marked with this version. Schema 2 stores task
// records in a binary form (task_codec.go) where schema 1 stored JSON.
const SchemaVersion = 2

// FileName is the database file inside the data directory.
const FileName = "nexus.db"

// Errors returned by Open.
var (
	// ErrSchemaTooNew means the file was written by a newer NexusTask.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary supports")
	// ErrLocked means another process holds the database open.
	ErrLocked = errors.New("store: database is locked by another process")
)

var (
	bucketMeta    = []byte("meta")
	bucketBlobs   = []byte("blobs")    // digest → module bytes
	bucketRefs    = []byte("blobrefs") // digest → uint64 count of versions using it
	bucketModules = []byte("modules")  // name → JSON []modules.Version
	// bucketArtifacts holds one sub-bucket per digest: artifact key → bytes.
	bucketArtifacts = []byte("artifacts")
	keySchema       = []byte("schema")
)

// DB is an open NexusTask database.
type DB struct {
	bolt *bolt.DB
	path string
}

// Open opens (creating if needed) the database in dir. It fails with
// ErrLocked if another process has it open, after waiting up to timeout.
func Open(dir string, timeout time.Duration) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	path := filepath.Join(dir, FileName)
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	if err := db.init(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// init creates the buckets and checks or writes the schema version.
func (db *DB) init() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketBlobs, bucketRefs, bucketModules, bucketArtifacts, bucketKV, bucketKVSize, bucketSchedules, bucketScheduleRuns} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("store: create bucket %s: %w", name, err)
			}
		}
		if err := createBuckets(tx, taskBuckets); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySchema); v != nil {
			if len(v) != 4 {
				return fmt.Errorf("store: corrupt schema version (%d bytes)", len(v))
			}
			got := binary.BigEndian.Uint32(v)
			if got > SchemaVersion {
				return fmt.Errorf("%w: file has schema %d, binary supports %d", ErrSchemaTooNew, got, SchemaVersion)
			}
			if got == SchemaVersion {
				return nil
			}
			// Older layouts are read as they are (schema 1's JSON task
			// records beside schema 2's binary ones); the version moves up
			// so that an older binary refuses the file it can no longer
			// read.
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
	})
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes the database. Pending transactions finish first.
func (db *DB) Close() error { return db.bolt.Close() }

// Check runs bbolt's consistency check and returns every problem found.
func (db *DB) Check() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}
