package tasks

import "time"

// Store is the durable side of a Service: internal/store implements it on
// bbolt. Its methods are safe for concurrent use.
type Store interface {
	// CommitTasks applies every write atomically and durably (the
	// transaction is synced to disk before it returns), in order.
	CommitTasks(ws []Write) error
	// Task returns the record of id with its input and output, or found
	// false.
	Task(id string) (rec Record, found bool, err error)
	// Checkpoint returns the last checkpoint saved for id, or nil.
	Checkpoint(id string) ([]byte, error)
	// ActiveTasks calls fn with every record in state scheduled, queued or
	// running, with its input unless that is larger than MaxInputInMemory
	// (then Input is nil and InputBytes says its size).
	ActiveTasks(fn func(Record) error) error
	// TaskInput returns the input of id.
	TaskInput(id string) ([]byte, error)
	// IdempotencyKeys calls fn with every idempotency key and its task id.
	IdempotencyKeys(fn func(key, id string) error) error
	// ListTasks returns up to limit records matching f, newest first,
	// starting after f.Cursor; their inputs and outputs are left out.
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
