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

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this package reads and writes. Opening a file
// written by a newer schema fails with ErrSchemaTooNew; an older one is
// read as it is and marked with this version. Schema 2 stores task
// records in a binary form (task_codec.go) where schema 1 stored JSON.
// Schema 3 puts a checksum on task records, schedules and kv values
// (damage.go); the upgrade rewrites the kv values, the others are read
// in either form.
const SchemaVersion = 3

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
	bolt     *bolt.DB
	path     string
	readOnly bool
	// legacy: kv values, task blobs and checkpoints are stored bare,
	// without their seal (a schema-2 file opened read-only, so not
	// upgraded).
	legacy bool
	damage damageLog
	events eventLog
}

// init creates the buckets and checks or writes the schema version.
func (db *DB) init() error {
	if db.readOnly {
		return db.bolt.View(func(tx *bolt.Tx) error {
			got, err := schemaOf(tx)
			db.legacy = got < 3
			return err
		})
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		got, err := schemaOf(tx) // before the buckets are made
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketMeta, bucketBlobs, bucketRefs, bucketModules, bucketArtifacts, bucketKV, bucketKVSize, bucketSchedules, bucketScheduleRuns} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("store: create bucket %s: %w", name, err)
			}
		}
		if err := createBuckets(tx, taskBuckets); err != nil {
			return err
		}
		if err := createBuckets(tx, eventBuckets); err != nil {
			return err
		}
		if err := createBuckets(tx, workflowBuckets); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		if got == SchemaVersion {
			return nil
		}
		// Older layouts are read as they are (schema 1's JSON task
		// records beside schema 2's binary ones, records without
		// checksums beside those with); kv values, task blobs and
		// checkpoints, which have no room to say which form they are in,
		// are rewritten sealed. The version moves up
		// so that an older binary refuses the file it can no longer read.
		if got < 3 {
			if err := sealBareValues(tx); err != nil {
				return err
			}
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
	})
}

// schemaOf returns the file's schema version, 0 for a new file, or
// ErrSchemaTooNew. A file with a meta bucket but no version in it is
// damaged: every version of this package wrote both at once, and taking
// it for new would rewrite its values.
func schemaOf(tx *bolt.Tx) (uint32, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	v := meta.Get(keySchema)
	if v == nil {
		return 0, corrupt(string(bucketMeta), keySchema, "the schema version is missing")
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("store: corrupt schema version (%d bytes)", len(v))
	}
	got := binary.BigEndian.Uint32(v)
	if got > SchemaVersion {
		return 0, fmt.Errorf("%w: file has schema %d, binary supports %d", ErrSchemaTooNew, got, SchemaVersion)
	}
	return got, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes the database. Pending transactions finish first.
func (db *DB) Close() error { return db.bolt.Close() }
