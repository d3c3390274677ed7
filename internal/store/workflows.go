package store

import (
	"bytes"
	"fmt"

	"github.com/nexustask/nexus/internal/tasks"
	bolt "go.etcd.io/bbolt"
)

// The workflow engine's records (internal/workflow), written only in task
// transactions (tasks.Write.Side) and read back at start-up. Values are
// the engine's encodings; the store keeps them as they are.
var (
	// bucketWorkflows holds workflow id → the workflow's header: its
	// state and counts, rewritten with each change.
	bucketWorkflows = []byte("workflows")
	// bucketWorkflowDefs holds workflow id → its definition (steps,
	// callback), written once at submission.
	bucketWorkflowDefs = []byte("workflow_defs")
	// bucketWorkflowSteps holds workflow id + "/" + 4-byte big-endian step
	// index → the step's state.
	bucketWorkflowSteps = []byte("workflow_steps")
	workflowBuckets     = [][]byte{bucketWorkflows, bucketWorkflowDefs, bucketWorkflowSteps}
)

// sideBucket returns the bucket of a tasks.SideOp's space.
func sideBucket(tx *bolt.Tx, space string) (*bolt.Bucket, error) {
	switch space {
	case tasks.SpaceWorkflows:
		return tx.Bucket(bucketWorkflows), nil
	case tasks.SpaceWorkflowDefs:
		return tx.Bucket(bucketWorkflowDefs), nil
	case tasks.SpaceWorkflowSteps:
		return tx.Bucket(bucketWorkflowSteps), nil
	}
	return nil, fmt.Errorf("store: unknown side space %q", space)
}

// applySide applies a write's side records.
func applySide(tx *bolt.Tx, ops []tasks.SideOp) error {
	for _, op := range ops {
		b, err := sideBucket(tx, op.Space)
		if err != nil {
			return err
		}
		if op.Delete {
			if err := b.Delete(op.Key); err != nil {
				return err
			}
			continue
		}
		if err := b.Put(op.Key, op.Value); err != nil {
			return err
		}
	}
	return nil
}

// SideRecords calls fn with every key and value of space, in key order,
// starting at prefix and stopping at the first key without it. The
// slices are valid only during the call.
func (db *DB) SideRecords(space string, prefix []byte, fn func(k, v []byte) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sideBucket(tx, space)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if err := fn(k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// SideRecord returns the value of key in space (a copy), or nil.
func (db *DB) SideRecord(space string, key []byte) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sideBucket(tx, space)
		if err != nil {
			return err
		}
		if v := b.Get(key); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}
