package tasks

import (
	"errors"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/events"
)

// Store is the durable side of a Service and its source of truth:
// internal/store implements it on bbolt, and every implementation passes
// the contract suite internal/store/storetest. Its methods are safe for
// concurrent use, also by several processes sharing one store: the
// decisions that must be taken once (which submission gets an
// idempotency key, which process runs an attempt) are conditional writes
// that the store takes or refuses atomically (see CommitTasks).
type Store interface {
	// CommitTasks applies every write atomically and durably (the
	// transaction is synced to disk before it returns), in order. If one
	// write is refused, none is applied.
	//
	// Every write is conditional, checked against the stored records as
	// the writes before it in ws left them:
	//
	//   - A new record (Prev nil) is created if absent: its id must be
	//     free (else ErrStale) and its IdempotencyKey, if any, not held
	//     by another task (else a *KeyHeldError naming the holder). A key
	//     is held from its task's creation to its deletion.
	//   - A change (Prev set) is a compare-and-set: it applies only if the
	//     stored record has Prev's Revision (else ErrStale, also for a
	//     record that is not there), and only if the transitions table
	//     lets the stored state reach Rec's (State.CanReach; else
	//     ErrTransition). A claim is such a change from queued to running
	//     that counts one attempt and names its Owner: of two processes
	//     claiming the same queued record one wins, and every later write
	//     of the loser, based on its own claim, is stale.
	//   - A Delete applies only if the stored record has Rec's Revision
	//     (else ErrStale); deleting a record that is not there does
	//     nothing.
	CommitTasks(ws []Write) error
	// Task returns the record of id with its input and output, or found
	// false.
	Task(id string) (rec Record, found bool, err error)
	// Checkpoint returns the last checkpoint saved for id, or nil.
	Checkpoint(id string) ([]byte, error)
	// ActiveTasks calls fn with every record in state scheduled, queued or
	// running, with its input unless that is larger than MaxInputInMemory
	// (then Input is nil and InputBytes says its size). An error from fn
	// ends the walk and is returned.
	ActiveTasks(fn func(Record) error) error
	// TaskInput returns the input of id.
	TaskInput(id string) ([]byte, error)
	// IdempotencyKeys calls fn with every idempotency key and its task id,
	// in key order.
	IdempotencyKeys(fn func(key, id string) error) error
	// ListTasks returns up to limit records matching f, newest first
	// (by id, descending: ids sort by creation time), starting after
	// f.Cursor; their inputs and outputs are left out, OutputBytes
	// giving the output's size.
	ListTasks(f Filter, limit int) ([]Record, error)
	// ExpiredTasks returns up to limit records whose ExpiresAt is before
	// now, oldest expiry first.
	ExpiredTasks(now time.Time, limit int) ([]Record, error)
	// EncodeTask returns r as CommitTasks stores it, for Write.Encoded.
	EncodeTask(r *Record) ([]byte, error)
}

// Write is one change of a Store transaction.
type Write struct {
	// Rec is the record as it is after the change.
	Rec *Record
	// Prev is the record as the store last had it (index entries are
	// moved from it); nil when Rec is new.
	Prev *Record
	// Checkpoint, if not nil, replaces the task's checkpoint.
	Checkpoint []byte
	// KV are kv writes made by the task's attempt, applied in the same
	// transaction as the record.
	KV []KVOp
	// Delete removes the record, its indexes, blobs and checkpoint (Rec
	// is the record removed).
	Delete bool
	// Events are the events the change produces (internal/events),
	// appended to the event log in the same transaction, in order, after
	// the change; the store sets their ids. A write may carry events
	// only (Rec nil): a task's progress, a preemption.
	Events []*events.Event
	// Side are side records (a workflow's) written in the same
	// transaction, after the change; a write may carry them with Rec nil.
	Side []SideOp
	// Encoded, if not nil, is Rec as EncodeTask encodes it: the group
	// commit has the writers it waits for encode their own records, so
	// that the one goroutine that commits every group spends its time in
	// the store.
	Encoded []byte
}

// KVOp is one kv write of an attempt: a set, or a delete if Delete.
type KVOp struct {
	Namespace string
	Key       string
	Value     []byte
	Delete    bool
}

// Filter selects records for ListTasks. Zero fields match everything.
type Filter struct {
	State  State
	Module string
	Tag    string
	// Cursor is the id of the last record of the previous page.
	Cursor string
}

// Errors of conditional writes (Store.CommitTasks). Each means the write
// was refused and nothing of its transaction applied; retrying the same
// write cannot succeed.
var (
	// ErrStale means the stored record is not the one the write was
	// based on: another writer changed, claimed, created or deleted it.
	ErrStale = fmt.Errorf("tasks: stored record changed: %w", errkind.ErrConflict)
	// ErrTransition means the write would move a task to a state the
	// transitions table does not let it reach from its stored one.
	ErrTransition = fmt.Errorf("tasks: state transition not allowed: %w", errkind.ErrConflict)
)

// KeyHeldError is the refusal of a new record whose idempotency key
// another task holds. It matches ErrConflict.
type KeyHeldError struct {
	Key    string // the idempotency key
	Task   string // the id of the record refused
	HeldBy string // the id of the task that holds Key
}

func (e *KeyHeldError) Error() string {
	return fmt.Sprintf("tasks: idempotency key %q of task %s is held by task %s", e.Key, e.Task, e.HeldBy)
}

// Unwrap returns ErrConflict.
func (e *KeyHeldError) Unwrap() error { return ErrConflict }

// keyHeld returns the *KeyHeldError in err's chain, or nil.
func keyHeld(err error) *KeyHeldError {
	var kh *KeyHeldError
	if errors.As(err, &kh) {
		return kh
	}
	return nil
}
