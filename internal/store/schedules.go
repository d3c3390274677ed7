package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/schedule"
	bolt "go.etcd.io/bbolt"
)

var _ schedule.Store = (*DB)(nil)

var (
	// bucketSchedules holds name → JSON schedule.Schedule, sealed
	// (seal) under the name; bare JSON before schema 3.
	bucketSchedules = []byte("schedules")
	// bucketScheduleRuns holds one sub-bucket per schedule name:
	// 8-byte big-endian due time (Unix ns) → JSON schedule.Run, sealed
	// under the schedule's name, NUL, the key; bare JSON before schema 3.
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
		return b.Put([]byte(s.Name), seal([]byte(s.Name), enc))
	})
}

// SaveSchedules implements schedule.Store.
//
// A run stored for the first time (or with a new outcome) that fired,
// was skipped or was missed is also a schedule.fired, schedule.skipped
// or schedule.missed event, committed in the same transaction.
func (db *DB) SaveSchedules(saves []schedule.Save, keep int) error {
	err := db.updateWithEvents(func(tx *bolt.Tx) ([]*events.Event, error) {
		var evs []*events.Event
		for _, sv := range saves {
			evs = append(evs, scheduleEvents(tx, sv, db.events.node)...)
			if err := saveSchedule(tx, sv, keep); err != nil {
				return nil, err
			}
		}
		return evs, nil
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
	if err := tx.Bucket(bucketSchedules).Put(name, seal(name, enc)); err != nil {
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
		k := runKey(r.Due)
		if err := runs.Put(k, seal(runSealKey(name, k), enc)); err != nil {
			return err
		}
	}
	return pruneRuns(runs, keep)
}

// scheduleEvents returns the events of sv's runs that are new or changed
// their outcome.
func scheduleEvents(tx *bolt.Tx, sv schedule.Save, node string) []*events.Event {
	var evs []*events.Event
	runs := tx.Bucket(bucketScheduleRuns).Bucket([]byte(sv.Schedule.Name))
	for _, r := range sv.Runs {
		var typ string
		switch r.Outcome {
		case schedule.OutcomeSubmitted:
			typ = events.ScheduleFired
		case schedule.OutcomeSkipped:
			typ = events.ScheduleSkipped
		case schedule.OutcomeMissed:
			typ = events.ScheduleMissed
		default:
			continue
		}
		if runs != nil {
			if old := runs.Get(runKey(r.Due)); old != nil {
				var prev schedule.Run
				if v, err := unsealAny(old); err == nil && json.Unmarshal(v, &prev) == nil && prev.Outcome == r.Outcome {
					continue
				}
			}
		}
		due := r.Due
		e := &events.Event{Type: typ, Time: time.Now().UTC(), TaskID: r.TaskID, Node: node,
			Data: events.Data{Schedule: sv.Schedule.Name, Due: &due, ErrorMessage: r.Error}}
		if r.FiredAt != nil {
			e.Time = *r.FiredAt
		}
		e.Encode()
		evs = append(evs, e)
	}
	return evs
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
		return decodeSchedule([]byte(name), v, &s)
	})
	return s, err
}

// Schedules implements schedule.Store.
func (db *DB) Schedules() ([]schedule.Schedule, error) {
	out := []schedule.Schedule{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSchedules).ForEach(func(k, v []byte) error {
			var s schedule.Schedule
			if err := decodeSchedule(k, v, &s); err != nil {
				return db.skipDamaged(err)
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
			if err := decodeRun([]byte(name), k, v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// decodeSchedule decodes the schedule stored as v under name.
func decodeSchedule(name, v []byte, s *schedule.Schedule) error {
	if err := decodeSealedJSON(string(bucketSchedules), name, name, v, s); err != nil {
		return err
	}
	if s.Name != string(name) {
		return corrupt(string(bucketSchedules), name, "holds schedule %q", s.Name)
	}
	return nil
}

// decodeRun decodes the run stored as v under key in schedule name's runs.
func decodeRun(name, key, v []byte, r *schedule.Run) error {
	return decodeSealedJSON(string(bucketScheduleRuns)+"/"+string(name), key, runSealKey(name, key), v, r)
}

// runSealKey is what a run is sealed under: its schedule's name, NUL, key.
func runSealKey(name, key []byte) []byte {
	return append(append(append(make([]byte, 0, len(name)+1+len(key)), name...), 0), key...)
}

// decodeSealedJSON decodes v, sealed under sealKey or bare JSON (written
// before schema 3), into dst; a damaged value is a *CorruptError naming
// bucket and key.
func decodeSealedJSON(bucket string, key, sealKey, v []byte, dst any) error {
	if len(v) == 0 || v[0] != '{' {
		var err error
		if v, err = unseal(bucket, sealKey, v); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return corrupt(bucket, key, "%v", err)
	}
	return nil
}
