package events

import (
	"fmt"

	"github.com/nexustask/nexus/internal/errkind"
)

// Log is where events are durable: internal/store implements it on
// bbolt. Its methods are safe for concurrent use.
type Log interface {
	// ReadEvents returns up to limit events after sequence number after
	// that match f, in id order. If events after `after` were trimmed
	// (after is older than the oldest event kept, less one), it returns
	// a *GoneError.
	ReadEvents(after uint64, f *Filter, limit int) ([]*Event, error)
	// AppendEvents commits evs in one transaction, sets their ids, and
	// hands them to the log's sink. Task events are not appended here:
	// they are committed with their task's change.
	AppendEvents(evs ...*Event) error
	// LastEventSeq returns the sequence number of the newest event
	// committed (0: none yet).
	LastEventSeq() (uint64, error)
}

// ErrGone is matched by *GoneError.
var ErrGone = fmt.Errorf("events: %w", errkind.ErrGone)

// GoneError is the answer to a cursor older than the oldest event kept:
// the events between were trimmed (retention), and a reader resuming
// there would miss them.
type GoneError struct {
	// Cursor is the cursor asked for.
	Cursor string
	// Oldest is the id of the oldest event kept; the id the next event
	// will have if none is kept.
	Oldest string
}

func (e *GoneError) Error() string {
	return fmt.Sprintf("events: cursor %s is older than the oldest event kept (%s): events were trimmed", e.Cursor, e.Oldest)
}

// Unwrap returns ErrGone.
func (e *GoneError) Unwrap() error { return ErrGone }
