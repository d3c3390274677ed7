package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/nexustask/nexus/internal/schedule"
	bolt "go.etcd.io/bbolt"
)

// maxCheckErrors bounds the record problems Check reports.
const maxCheckErrors = 100

// Check checks the whole database and returns every problem found, joined:
// bbolt's consistency check (every page reachable or free, never both,
// keys in order), then every task record, task blob, checkpoint,
// schedule, schedule run and kv value against its checksum, and the task state index against the task
// records, so that a record lost from an index or moved under another key
// is reported too. Damaged records match ErrCorrupt. Check reads the
// whole file; it is safe while the database is in use.
func (db *DB) Check() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		c := &checker{db: db, tx: tx}
		if err := guard(c.records); err != nil {
			errs = append(errs, err)
		}
		return errors.Join(append(errs, c.errs...)...)
	})
}

// checker collects the problems of the records.
type checker struct {
	db    *DB
	tx    *bolt.Tx
	errs  []error
	state map[string]string // task id → state, of the records that decode
}

func (c *checker) add(err error) {
	if len(c.errs) < maxCheckErrors {
		c.errs = append(c.errs, err)
	} else if len(c.errs) == maxCheckErrors {
		c.errs = append(c.errs, errors.New("store: more problems not listed"))
	}
}

// bucket returns the top-level bucket name, or nil after reporting it
// missing.
func (c *checker) bucket(name []byte) *bolt.Bucket {
	b := c.tx.Bucket(name)
	if b == nil {
		c.add(fmt.Errorf("%w: bucket %s is missing", ErrCorrupt, name))
	}
	return b
}

func (c *checker) records() error {
	c.tasks()
	c.stateIndex()
	c.sealed(bucketTaskBlobs)
	c.sealed(bucketTaskCkpt)
	c.sealed(bucketTaskIdem)
	c.schedules()
	c.kv()
	return nil
}

// sealed checks the values of a bucket of sealed values.
func (c *checker) sealed(name []byte) {
	if b := c.bucket(name); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			_, err := c.db.unseal(string(name), k, v)
			c.addIf(err)
			return nil
		})
	}
}

func (c *checker) tasks() {
	c.state = map[string]string{}
	b := c.bucket(bucketTasks)
	if b == nil {
		return
	}
	_ = b.ForEach(func(k, v []byte) error {
		var tr taskRecord
		if err := decodeTaskAt(k, v, &tr); err != nil {
			c.add(err)
			return nil
		}
		c.state[tr.ID] = string(tr.State)
		return nil
	})
}

// stateIndex checks that the state index and the records agree: start-up
// recovery finds the active tasks through it.
func (c *checker) stateIndex() {
	b := c.bucket(bucketTaskState)
	if b == nil {
		return
	}
	indexed := map[string]bool{}
	_ = b.ForEach(func(k, _ []byte) error {
		st, id, ok := bytes.Cut(k, []byte{0})
		if !ok {
			c.add(corrupt(string(bucketTaskState), k, "no separator"))
			return nil
		}
		got, found := c.state[string(id)]
		switch {
		case !found && c.tx.Bucket(bucketTasks).Get(id) == nil:
			c.add(corrupt(string(bucketTaskState), k, "names a task that is not there"))
		case found && got != string(st):
			c.add(corrupt(string(bucketTaskState), k, "task %s is %s", id, got))
		}
		indexed[string(id)] = true
		return nil
	})
	for id, st := range c.state {
		if !indexed[id] {
			c.add(corrupt(string(bucketTasks), []byte(id), "missing from the state index (%s)", st))
		}
	}
}

func (c *checker) schedules() {
	if b := c.bucket(bucketSchedules); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			if v != nil {
				c.addIf(decodeSchedule(k, v, new(schedule.Schedule)))
			}
			return nil
		})
	}
	runs := c.bucket(bucketScheduleRuns)
	if runs == nil {
		return
	}
	_ = runs.ForEachBucket(func(name []byte) error {
		_ = runs.Bucket(name).ForEach(func(k, v []byte) error {
			c.addIf(decodeRun(name, k, v, new(schedule.Run)))
			return nil
		})
		return nil
	})
}

func (c *checker) kv() {
	kv := c.bucket(bucketKV)
	if kv == nil {
		return
	}
	_ = kv.ForEachBucket(func(ns []byte) error {
		total := int64(0)
		_ = kv.Bucket(ns).ForEach(func(k, v []byte) error {
			if v == nil {
				c.add(corrupt("kv/"+string(ns), k, "a bucket where a value belongs"))
				return nil
			}
			val, err := c.db.kvValue(string(ns), k, v)
			c.addIf(err)
			total += int64(len(k) + len(val))
			return nil
		})
		if got := kvTotal(c.tx, string(ns)); got != total {
			c.add(corrupt(string(bucketKVSize), ns, "counts %d bytes, the values hold %d", got, total))
		}
		return nil
	})
}

func (c *checker) addIf(err error) {
	if err != nil {
		c.add(err)
	}
}
