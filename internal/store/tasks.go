package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/tasks"
	bolt "go.etcd.io/bbolt"
)

var _ tasks.Store = (*DB)(nil)

// InlineTaskBytes is the largest task input or output kept inside the
// task's record; larger ones go to the task blob bucket, so that the
// record's many small updates do not rewrite them.
const InlineTaskBytes = 16 << 10

// Every input the task service leaves on disk must be in a blob.
const _ = uint(tasks.MaxInputInMemory - InlineTaskBytes)

var (
	bucketTasks      = []byte("tasks")       // id → taskRecord (task_codec.go)
	bucketTaskBlobs  = []byte("task_blobs")  // id "/in" or id "/out" → bytes, sealed
	bucketTaskCkpt   = []byte("task_ckpt")   // id → last checkpoint, sealed
	bucketTaskState  = []byte("task_state")  // state 0 id → nil
	bucketTaskModule = []byte("task_module") // module 0 id → nil
	bucketTaskTag    = []byte("task_tag")    // tag 0 id → nil
	bucketTaskIdem   = []byte("task_idem")   // idempotency key → id, sealed
	bucketTaskExpiry = []byte("task_expiry") // uint64 ms of ExpiresAt, id → nil
	taskBuckets      = [][]byte{bucketTasks, bucketTaskBlobs, bucketTaskCkpt, bucketTaskState,
		bucketTaskModule, bucketTaskTag, bucketTaskIdem, bucketTaskExpiry}
)

// taskRecord is a record as stored: with its input and output moved to the
// blob bucket when they are large.
type taskRecord struct {
	tasks.Record
	InBlob  bool `json:"in_blob,omitempty"`
	OutBlob bool `json:"out_blob,omitempty"`
}

// CommitTasks implements tasks.Store: one transaction, synced before it
// returns. Each write's condition is checked in that transaction, against
// the record as the writes before it left it.
//
// Each write's events are appended to the event log in the same
// transaction, after its change, and handed to the event sink once the
// transaction has committed.
func (db *DB) CommitTasks(ws []tasks.Write) error {
	n := 0
	for i := range ws {
		n += len(ws[i].Events)
	}
	apply := func(tx *bolt.Tx) ([]*events.Event, error) {
		evs := make([]*events.Event, 0, n)
		for i := range ws {
			if err := applyTaskWrite(tx, &ws[i]); err != nil {
				return nil, err
			}
			evs = append(evs, ws[i].Events...)
		}
		return evs, nil
	}
	var err error
	if n == 0 {
		err = db.bolt.Update(func(tx *bolt.Tx) error { _, err := apply(tx); return err })
	} else {
		err = db.updateWithEvents(apply)
	}
	if err != nil {
		return fmt.Errorf("store: commit tasks: %w", err)
	}
	return nil
}

func applyTaskWrite(tx *bolt.Tx, w *tasks.Write) error {
	r := w.Rec
	if r == nil { // events or side records only
		return applySide(tx, w.Side)
	}
	if err := checkTaskWrite(tx, w); err != nil {
		return err
	}
	if w.Delete {
		return deleteTask(tx, r)
	}
	if err := putTaskRecord(tx, r, w.Prev == nil, w.Encoded); err != nil {
		return err
	}
	if err := moveTaskIndexes(tx, w.Prev, r); err != nil {
		return err
	}
	if w.Checkpoint != nil {
		if err := tx.Bucket(bucketTaskCkpt).Put([]byte(r.ID), seal([]byte(r.ID), w.Checkpoint)); err != nil {
			return err
		}
	}
	for _, op := range w.KV {
		if err := applyKVOp(tx, op); err != nil {
			return err
		}
	}
	return applySide(tx, w.Side)
}

// checkTaskWrite checks w's condition (tasks.Store.CommitTasks) against
// the stored record.
func checkTaskWrite(tx *bolt.Tx, w *tasks.Write) error {
	r := w.Rec
	id := []byte(r.ID)
	raw := tx.Bucket(bucketTasks).Get(id)
	if w.Prev == nil && !w.Delete {
		if raw != nil {
			return fmt.Errorf("%w: task %s exists", tasks.ErrStale, r.ID)
		}
		if !tasks.State("").CanReach(r.State) {
			return fmt.Errorf("%w: task %s created %s", tasks.ErrTransition, r.ID, r.State)
		}
		return checkKeyFree(tx, r)
	}
	if raw == nil {
		if w.Delete {
			return nil
		}
		return fmt.Errorf("%w: task %s is not there", tasks.ErrStale, r.ID)
	}
	got, err := decodeTaskRevision(id, raw)
	if err != nil {
		return err
	}
	want := r.Revision()
	if !w.Delete {
		want = w.Prev.Revision()
	}
	if got != want {
		return fmt.Errorf("%w: task %s is %s (attempt %d, owner %q), not %s (attempt %d, owner %q)",
			tasks.ErrStale, r.ID, got.State, got.Attempts, got.Owner, want.State, want.Attempts, want.Owner)
	}
	if !w.Delete && !got.State.CanReach(r.State) {
		return fmt.Errorf("%w: task %s from %s to %s", tasks.ErrTransition, r.ID, got.State, r.State)
	}
	return nil
}

// checkKeyFree refuses a new record whose idempotency key another task
// holds. An entry naming a task that is not there (left by a damaged
// file) holds nothing.
func checkKeyFree(tx *bolt.Tx, r *tasks.Record) error {
	if r.IdempotencyKey == "" {
		return nil
	}
	v := tx.Bucket(bucketTaskIdem).Get([]byte(r.IdempotencyKey))
	if v == nil {
		return nil
	}
	holder, err := unsealAny(v)
	if err != nil || tx.Bucket(bucketTasks).Get(holder) == nil {
		return nil
	}
	return &tasks.KeyHeldError{Key: r.IdempotencyKey, Task: r.ID, HeldBy: string(holder)}
}

// putTaskRecord stores r, moving a large input (on creation) and a large
// output to blobs. enc, if not nil, is EncodeTask(r).
func putTaskRecord(tx *bolt.Tx, r *tasks.Record, isNew bool, enc []byte) error {
	blobs := tx.Bucket(bucketTaskBlobs)
	if len(r.Input) > InlineTaskBytes && isNew {
		if err := putSealed(blobs, []byte(r.ID+"/in"), r.Input); err != nil {
			return err
		}
	}
	if len(r.Output) > InlineTaskBytes {
		if err := putSealed(blobs, []byte(r.ID+"/out"), r.Output); err != nil {
			return err
		}
	}
	if enc == nil {
		var err error
		if enc, err = encodeTask(r); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketTasks).Put([]byte(r.ID), enc)
}

// EncodeTask implements tasks.Store: r as stored, with a large input or
// output left to the blob bucket.
func (db *DB) EncodeTask(r *tasks.Record) ([]byte, error) { return encodeTask(r) }

func encodeTask(r *tasks.Record) ([]byte, error) {
	tr := taskRecord{Record: *r}
	// A large input is in the blob bucket from the record's creation on;
	// the service drops it from the records it keeps in memory
	// (tasks.MaxInputInMemory), so later versions may carry only its size.
	if len(r.Input) > InlineTaskBytes || (len(r.Input) == 0 && r.InputBytes > InlineTaskBytes) {
		tr.Input, tr.InBlob = nil, true
	}
	if len(r.Output) > InlineTaskBytes {
		tr.Output, tr.OutBlob = nil, true
	}
	return appendTaskRecord(make([]byte, 0, 256+len(tr.Output)+len(tr.Input)), &tr), nil
}

// moveTaskIndexes updates the indexes from prev (nil: a new record) to r.
func moveTaskIndexes(tx *bolt.Tx, prev, r *tasks.Record) error {
	id := []byte(r.ID)
	if prev == nil {
		if err := tx.Bucket(bucketTaskModule).Put(indexKey(r.Module, r.ID), nil); err != nil {
			return err
		}
		for _, t := range r.Tags {
			if err := tx.Bucket(bucketTaskTag).Put(indexKey(t, r.ID), nil); err != nil {
				return err
			}
		}
		if r.IdempotencyKey != "" {
			if err := putSealed(tx.Bucket(bucketTaskIdem), []byte(r.IdempotencyKey), id); err != nil {
				return err
			}
		}
	}
	states := tx.Bucket(bucketTaskState)
	if prev == nil || prev.State != r.State {
		if prev != nil {
			if err := states.Delete(indexKey(string(prev.State), r.ID)); err != nil {
				return err
			}
		}
		if err := states.Put(indexKey(string(r.State), r.ID), nil); err != nil {
			return err
		}
	}
	expiry := tx.Bucket(bucketTaskExpiry)
	if prev != nil && !prev.ExpiresAt.IsZero() && !prev.ExpiresAt.Equal(r.ExpiresAt) {
		if err := expiry.Delete(expiryKey(prev.ExpiresAt, r.ID)); err != nil {
			return err
		}
	}
	if !r.ExpiresAt.IsZero() && (prev == nil || !prev.ExpiresAt.Equal(r.ExpiresAt)) {
		return expiry.Put(expiryKey(r.ExpiresAt, r.ID), nil)
	}
	return nil
}

// deleteTask removes r's record, blobs, checkpoint and index entries.
func deleteTask(tx *bolt.Tx, r *tasks.Record) error {
	id := []byte(r.ID)
	dels := []struct {
		b []byte
		k []byte
	}{
		{bucketTasks, id},
		{bucketTaskBlobs, []byte(r.ID + "/in")},
		{bucketTaskBlobs, []byte(r.ID + "/out")},
		{bucketTaskCkpt, id},
		{bucketTaskState, indexKey(string(r.State), r.ID)},
		{bucketTaskModule, indexKey(r.Module, r.ID)},
	}
	for _, t := range r.Tags {
		dels = append(dels, struct{ b, k []byte }{bucketTaskTag, indexKey(t, r.ID)})
	}
	if !r.ExpiresAt.IsZero() {
		dels = append(dels, struct{ b, k []byte }{bucketTaskExpiry, expiryKey(r.ExpiresAt, r.ID)})
	}
	for _, d := range dels {
		if err := tx.Bucket(d.b).Delete(d.k); err != nil {
			return err
		}
	}
	if r.IdempotencyKey != "" {
		idem := tx.Bucket(bucketTaskIdem)
		if v, err := unsealAny(idem.Get([]byte(r.IdempotencyKey))); err == nil && bytes.Equal(v, id) {
			return idem.Delete([]byte(r.IdempotencyKey))
		}
	}
	return nil
}

// applyKVOp applies one kv write of a task attempt. The namespace cap was
// checked when the guest made the write.
func applyKVOp(tx *bolt.Tx, op tasks.KVOp) error {
	b, err := tx.Bucket(bucketKV).CreateBucketIfNotExists([]byte(op.Namespace))
	if err != nil {
		return err
	}
	total := kvTotal(tx, op.Namespace)
	if old := b.Get([]byte(op.Key)); old != nil {
		total -= int64(len(op.Key) + kvLen(old))
	}
	if op.Delete {
		if err := b.Delete([]byte(op.Key)); err != nil {
			return err
		}
	} else {
		if err := b.Put([]byte(op.Key), sealKV(op.Namespace, []byte(op.Key), op.Value)); err != nil {
			return err
		}
		total += int64(len(op.Key) + len(op.Value))
	}
	return setKVTotal(tx, op.Namespace, total)
}

// KVSize returns the key and value bytes of namespace ns.
func (db *DB) KVSize(ns string) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		n = kvTotal(tx, ns)
		return nil
	})
	return n, err
}

func indexKey(value, id string) []byte {
	k := make([]byte, 0, len(value)+1+len(id))
	k = append(k, value...)
	k = append(k, 0)
	return append(k, id...)
}

func expiryKey(at time.Time, id string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(id)), uint64(max(at.UnixMilli(), 0)))
	return append(k, id...)
}

// createBuckets creates the named buckets if they are missing.
func createBuckets(tx *bolt.Tx, names [][]byte) error {
	for _, name := range names {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: create bucket %s: %w", name, err)
		}
	}
	return nil
}
