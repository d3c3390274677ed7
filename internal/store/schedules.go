package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/schedule"
	bolt "go.etcd.io/bbolt"
)

var _ schedule.Store = (*DB)(nil)

var (
	// bucketSchedules holds name → JSON schedule.Schedule.
	bucketSchedules = []byte("schedules")
	// bucketScheduleRuns holds one sub-bucket per schedule name:
	// 8-byte big-endian due time (Unix ns) → JSON schedule.Run.
	bucketScheduleRuns = []byte("schedule_runs")
)

// CreateSchedule implements schedule.Store.
func (db *DB) CreateSchedule(s schedule.Schedule) error {
	enc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("store: encode schedule %s: %w", s.Name, err)
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSchedules)
		if b.Get([]byte(s.Name)) != nil {
			return fmt.Errorf("%w: %q", schedule.ErrExists, s.Name)
		}
		return b.Put([]byte(s.Name), enc)
	})
}

// SaveSchedules implements schedule.Store.
func (db *DB) SaveSchedules(saves []schedule.Save, keep int) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for _, sv := range saves {
			if err := saveSchedule(tx, sv, keep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save schedules: %w", err)
	}
	return nil
}

func saveSchedule(tx *bolt.Tx, sv schedule.Save, keep int) error {
	enc, err := json.Marshal(sv.Schedule)
	if err != nil {
		return err
	}
	name := []byte(sv.Schedule.Name)
	if err := tx.Bucket(bucketSchedules).Put(name, enc); err != nil {
		return err
	}
	if len(sv.Runs) == 0 {
		return nil
	}
	runs, err := tx.Bucket(bucketScheduleRuns).CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	for _, r := range sv.Runs {
		enc, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := runs.Put(runKey(r.Due), enc); err != nil {
			return err
		}
	}
	return pruneRuns(runs, keep)
}

// runKey orders runs by due time.
func runKey(due time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(due.UnixNano()))
}

// pruneRuns deletes the oldest runs past keep.
func pruneRuns(b *bolt.Bucket, keep int) error {
	var old [][]byte
	n := 0
	c := b.Cursor()
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		if n++; n > keep {
			old = append(old, k)
		}
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSchedule implements schedule.Store.
func (db *DB) DeleteSchedule(name string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSchedules)
		if b.Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %q", schedule.ErrNotFound, name)
		}
		if err := b.Delete([]byte(name)); err != nil {
			return err
		}
		if tx.Bucket(bucketScheduleRuns).Bucket([]byte(name)) != nil {
			return tx.Bucket(bucketScheduleRuns).DeleteBucket([]byte(name))
		}
		return nil
	})
}

// Schedule implements schedule.Store.
func (db *DB) Schedule(name string) (schedule.Schedule, error) {
	var s schedule.Schedule
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSchedules).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("%w: %q", schedule.ErrNotFound, name)
		}
		return decodeSchedule(v, &s)
	})
	return s, err
}

// Schedules implements schedule.Store.
func (db *DB) Schedules() ([]schedule.Schedule, error) {
	out := []schedule.Schedule{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSchedules).ForEach(func(_, v []byte) error {
			var s schedule.Schedule
			if err := decodeSchedule(v, &s); err != nil {
				return err
			}
			out = append(out, s)
			return nil
		})
	})
	return out, err
}

// Runs implements schedule.Store.
func (db *DB) Runs(name string, limit int) ([]schedule.Run, error) {
	out := []schedule.Run{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSchedules).Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %q", schedule.ErrNotFound, name)
		}
		b := tx.Bucket(bucketScheduleRuns).Bucket([]byte(name))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var r schedule.Run
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("store: corrupt run of schedule %s: %w", name, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func decodeSchedule(v []byte, s *schedule.Schedule) error {
	if err := json.Unmarshal(v, s); err != nil {
		return fmt.Errorf("store: corrupt schedule: %w", err)
	}
	return nil
}
