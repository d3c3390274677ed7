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
		r, found, err = loadTask(tx, []byte(id), full)
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
			if in = tx.Bucket(bucketTaskBlobs).Get([]byte(id + "/in")); in == nil {
				return fmt.Errorf("store: task %s lacks its input blob", id)
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
func loadTask(tx *bolt.Tx, id []byte, what int) (tasks.Record, bool, error) {
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
		r.Input, r.Output = nil, nil
		return r, true, nil
	}
	blobs := tx.Bucket(bucketTaskBlobs)
	// An active task's large input stays on disk until its attempt asks
	// for it (tasks.MaxInputInMemory); a record written before InputBytes
	// existed says nothing of its size, so its input is read.
	if tr.InBlob && (what == full || r.InputBytes == 0) {
		r.Input = bytes.Clone(blobs.Get([]byte(r.ID + "/in")))
		r.InputBytes = len(r.Input)
	}
	if tr.OutBlob {
		r.Output = bytes.Clone(blobs.Get([]byte(r.ID + "/out")))
	}
	return r, true, nil
}

// Checkpoint implements tasks.Store.
func (db *DB) Checkpoint(id string) ([]byte, error) {
	var cp []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		cp = bytes.Clone(tx.Bucket(bucketTaskCkpt).Get([]byte(id)))
		return nil
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
				r, found, err := loadTask(tx, k[len(prefix):], activeInput)
				if err != nil {
					if err = db.skipDamaged(err); err != nil {
						return err
					}
					continue
				}
				if !found {
					return fmt.Errorf("store: state index names missing task %s", k[len(prefix):])
				}
				if err := fn(r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// IdempotencyKeys implements tasks.Store.
func (db *DB) IdempotencyKeys(fn func(key, id string) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTaskIdem).ForEach(func(k, v []byte) error {
			return fn(string(k), string(v))
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
			r, found, err := loadTask(tx, k[len(prefix):], recordOnly)
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
			r, found, err := loadTask(tx, k[8:], recordOnly)
			if err != nil {
				if err = db.skipDamaged(err); err != nil {
					return err
				}
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
