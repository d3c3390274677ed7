package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
	bolt "go.etcd.io/bbolt"
)

// Task implements tasks.Store. A damaged record is an error matching
// ErrCorrupt, never a record with wrong fields.
func (db *DB) Task(id string) (tasks.Record, bool, error) {
	var r tasks.Record
	found := false
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		r, found, err = db.loadTask(tx, []byte(id), full)
		return err
	})
	return r, found, err
}

// TaskInput implements tasks.Store.
func (db *DB) TaskInput(id string) ([]byte, error) {
	var in []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketTasks).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("store: no task %s", id)
		}
		var tr taskRecord
		if err := decodeTaskAt([]byte(id), raw, &tr); err != nil {
			return err
		}
		in = tr.Input
		if tr.InBlob {
			var err error
			if in, err = db.blob(tx, id+"/in"); err != nil {
				return err
			}
		}
		in = bytes.Clone(in)
		return nil
	})
	return in, err
}

// What loadTask reads besides the record.
const (
	recordOnly  = iota // no input or output
	full               // input and output, from the blobs if there
	activeInput        // as full, but a large input only if the record lacks its size
)

// loadTask decodes the record of id, with its input and output as what
// says.
func (db *DB) loadTask(tx *bolt.Tx, id []byte, what int) (tasks.Record, bool, error) {
	raw := tx.Bucket(bucketTasks).Get(id)
	if raw == nil {
		return tasks.Record{}, false, nil
	}
	var tr taskRecord
	if err := decodeTaskAt(id, raw, &tr); err != nil {
		return tasks.Record{}, false, err
	}
	r := tr.Record
	if what == recordOnly {
		r.OutputBytes = len(r.Output)
		if tr.OutBlob {
			n, err := db.blobSize(tx, r.ID+"/out")
			if err != nil {
				return tasks.Record{}, false, err
			}
			r.OutputBytes = n
		}
		r.Input, r.Output = nil, nil
		return r, true, nil
	}
	// An active task's large input stays on disk until its attempt asks
	// for it (tasks.MaxInputInMemory); a record written before InputBytes
	// existed says nothing of its size, so its input is read.
	if tr.InBlob && (what == full || r.InputBytes == 0) {
		in, err := db.blob(tx, r.ID+"/in")
		if err != nil {
			return tasks.Record{}, false, err
		}
		r.Input = bytes.Clone(in)
		r.InputBytes = len(r.Input)
	}
	if tr.OutBlob {
		out, err := db.blob(tx, r.ID+"/out")
		if err != nil {
			return tasks.Record{}, false, err
		}
		r.Output = bytes.Clone(out)
	}
	return r, true, nil
}

// blob returns the task blob key: a missing or damaged one is a
// *CorruptError, as the record that names it says it is there.
func (db *DB) blob(tx *bolt.Tx, key string) ([]byte, error) {
	v := tx.Bucket(bucketTaskBlobs).Get([]byte(key))
	if v == nil {
		return nil, corrupt(string(bucketTaskBlobs), []byte(key), "missing, though its task record names it")
	}
	return db.unseal(string(bucketTaskBlobs), []byte(key), v)
}

// blobSize returns the size of the value in the task blob key without
// checking its checksum (reading the value does); a missing one is a
// *CorruptError, as for blob.
func (db *DB) blobSize(tx *bolt.Tx, key string) (int, error) {
	v := tx.Bucket(bucketTaskBlobs).Get([]byte(key))
	switch {
	case v == nil:
		return 0, corrupt(string(bucketTaskBlobs), []byte(key), "missing, though its task record names it")
	case db.legacy:
		return len(v), nil
	case len(v) < sealHeader || v[0] != sealFormat:
		return 0, corrupt(string(bucketTaskBlobs), []byte(key), "unknown value format")
	}
	return len(v) - sealHeader, nil
}

// Checkpoint implements tasks.Store.
func (db *DB) Checkpoint(id string) ([]byte, error) {
	var cp []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTaskCkpt).Get([]byte(id))
		if v == nil {
			return nil
		}
		v, err := db.unseal(string(bucketTaskCkpt), []byte(id), v)
		cp = bytes.Clone(v)
		return err
	})
	return cp, err
}

// ActiveTasks implements tasks.Store. A damaged record is skipped and
// noted (Damaged): the other tasks recover.
func (db *DB) ActiveTasks(fn func(tasks.Record) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketTaskState).Cursor()
		for _, st := range []tasks.State{tasks.Scheduled, tasks.Queued, tasks.Running} {
			prefix := indexKey(string(st), "")
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				r, found, err := db.loadTask(tx, k[len(prefix):], activeInput)
				if err != nil {
					if err = db.skipDamaged(err); err != nil {
						return err
					}
					continue
				}
				if !found || r.State != st {
					// Recovery must not run a task the index misplaced.
					db.damage.note(corrupt(string(bucketTaskState), k, "names a task that is not there, or in another state"))
					continue
				}
				if err := fn(r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// IdempotencyKeys implements tasks.Store. A damaged entry is skipped and
// noted (Damaged).
func (db *DB) IdempotencyKeys(fn func(key, id string) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTaskIdem).ForEach(func(k, v []byte) error {
			id, err := db.unseal(string(bucketTaskIdem), k, v)
			if err != nil {
				return db.skipDamaged(err)
			}
			return fn(string(k), string(id))
		})
	})
}

// ListTasks implements tasks.Store. A damaged record is skipped and noted
// (Damaged). It walks the most selective index the
// filter names (state, then module, then tag; else the records by id)
// backwards from the cursor, so a page costs its own size plus the
// records the other filters skip.
func (db *DB) ListTasks(f tasks.Filter, limit int) ([]tasks.Record, error) {
	var out []tasks.Record
	err := db.bolt.View(func(tx *bolt.Tx) error {
		bucket, prefix := bucketTasks, []byte(nil)
		switch {
		case f.State != "":
			bucket, prefix = bucketTaskState, indexKey(string(f.State), "")
		case f.Module != "":
			bucket, prefix = bucketTaskModule, indexKey(f.Module, "")
		case f.Tag != "":
			bucket, prefix = bucketTaskTag, indexKey(f.Tag, "")
		}
		c := tx.Bucket(bucket).Cursor()
		target := append(bytes.Clone(prefix), f.Cursor...)
		if f.Cursor == "" {
			target = append(target, 0xff)
		}
		k, _ := c.Seek(target)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Prev() {
			r, found, err := db.loadTask(tx, k[len(prefix):], recordOnly)
			if err != nil {
				if err = db.skipDamaged(err); err != nil {
					return err
				}
				continue
			}
			if found && matches(r, f) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

func matches(r tasks.Record, f tasks.Filter) bool {
	return (f.State == "" || r.State == f.State) &&
		(f.Module == "" || r.Module == f.Module) &&
		(f.Tag == "" || slices.Contains(r.Tags, f.Tag))
}

// ExpiredTasks implements tasks.Store. A damaged record is skipped and
// noted (Damaged).
func (db *DB) ExpiredTasks(now time.Time, limit int) ([]tasks.Record, error) {
	var out []tasks.Record
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketTaskExpiry).Cursor()
		cut := uint64(max(now.UnixMilli(), 0))
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) < 8 || binary.BigEndian.Uint64(k[:8]) >= cut {
				break
			}
			r, found, err := db.loadTask(tx, k[8:], recordOnly)
			if err != nil {
				if err = db.skipDamaged(err); err != nil {
					return err
				}
				continue
			}
			if found && expiryKey(r.ExpiresAt, r.ID) != nil && !bytes.Equal(expiryKey(r.ExpiresAt, r.ID), k) {
				// A damaged index entry must not delete a task early.
				db.damage.note(corrupt(string(bucketTaskExpiry), k, "task %s expires at %s", r.ID, r.ExpiresAt))
				continue
			}
			if found {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}
