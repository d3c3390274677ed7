package store

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/nexustask/nexus/internal/events"
	bolt "go.etcd.io/bbolt"
)

var _ events.Log = (*DB)(nil)

// bucketEvents holds the event log: 8-byte big-endian sequence number →
// 8-byte big-endian Unix nanoseconds of the event's time, then the
// event in its binary form without its id (events.Event.Encode). The bucket's
// sequence numbers the events: ids never repeat, also after trimming.
var bucketEvents = []byte("events")

// eventLog is the DB's part of the event log that is not in the file:
// the sink committed events go to and the lock that keeps them in order.
type eventLog struct {
	// mu is held by every transaction that appends events, from before
	// it begins until its events are handed to sink, so that sink sees
	// them in id order. bbolt serialises writers anyway.
	mu   sync.Mutex
	sink func([]*events.Event)
	node string // names the node in the events the store makes

	// cursors are webhook cursors saved (SaveWebhookCursors) and not yet
	// written: the next event-writing transaction writes them.
	curMu   sync.Mutex
	cursors map[string]uint64
}

// SetEventSink sets the function that receives every event after its
// transaction commits, in id order (an events.Bus's Publish). It must
// not block. Call it before the first write.
func (db *DB) SetEventSink(fn func([]*events.Event)) { db.events.sink = fn }

// SetEventNode names the node in the events the store makes itself
// (schedule.*). Call it before the first write.
func (db *DB) SetEventNode(name string) { db.events.node = name }

// appendEventsTx stores evs in tx and sets their ids.
func appendEventsTx(tx *bolt.Tx, evs []*events.Event) error {
	b := tx.Bucket(bucketEvents)
	// Keys only grow, and pages fill from the left: fill them, as the
	// default (half full) would sync twice the pages.
	b.FillPercent = 0.95
	for _, e := range evs {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		enc := e.Encode()
		v := make([]byte, 8, 8+len(enc))
		binary.BigEndian.PutUint64(v, uint64(e.Time.UnixNano()))
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), append(v, enc...)); err != nil {
			return err
		}
		e.Committed(seq)
	}
	return nil
}

// updateWithEvents runs fn in a write transaction that also appends the
// events fn returns, then hands them to the sink.
func (db *DB) updateWithEvents(fn func(tx *bolt.Tx) ([]*events.Event, error)) error {
	db.events.mu.Lock()
	defer db.events.mu.Unlock()
	var evs []*events.Event
	var cursors map[string]uint64
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		var err error
		if evs, err = fn(tx); err != nil {
			return err
		}
		if err := appendEventsTx(tx, evs); err != nil {
			return err
		}
		cursors, err = db.putCursorsTx(tx)
		return err
	})
	if err != nil && len(cursors) > 0 {
		db.SaveWebhookCursors(cursors) // again with the next transaction
	}
	if err == nil && len(evs) > 0 && db.events.sink != nil {
		db.events.sink(evs)
	}
	return err
}

// AppendEvents implements events.Log.
func (db *DB) AppendEvents(evs ...*events.Event) error {
	for _, e := range evs {
		e.Encode()
	}
	err := db.updateWithEvents(func(*bolt.Tx) ([]*events.Event, error) { return evs, nil })
	if err != nil {
		return fmt.Errorf("store: append events: %w", err)
	}
	return nil
}

// LastEventSeq implements events.Log.
func (db *DB) LastEventSeq() (uint64, error) {
	var last uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketEvents); b != nil {
			last = b.Sequence()
		}
		return nil
	})
	return last, err
}

// EventBounds returns the sequence numbers of the oldest event kept and
// of the newest committed; oldest is last+1 when none is kept.
func (db *DB) EventBounds() (oldest, last uint64, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		oldest, last = eventBounds(tx.Bucket(bucketEvents))
		return nil
	})
	return oldest, last, err
}

func eventBounds(b *bolt.Bucket) (oldest, last uint64) {
	if b == nil {
		return 1, 0
	}
	last = b.Sequence()
	k, _ := b.Cursor().First()
	if len(k) != 8 {
		return last + 1, last
	}
	return binary.BigEndian.Uint64(k), last
}

// ReadEvents implements events.Log.
func (db *DB) ReadEvents(after uint64, f *events.Filter, limit int) ([]*events.Event, error) {
	var out []*events.Event
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		oldest, _ := eventBounds(b)
		if after+1 < oldest {
			return &events.GoneError{Cursor: events.FormatID(after), Oldest: events.FormatID(oldest)}
		}
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, after+1)); k != nil && len(out) < limit; k, v = c.Next() {
			e, err := decodeEvent(k, v)
			if err != nil {
				return err
			}
			if f == nil || f.Match(e) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

func decodeEvent(k, v []byte) (*events.Event, error) {
	if len(k) != 8 || len(v) < 8 {
		return nil, corrupt(string(bucketEvents), k, "malformed event")
	}
	e, err := events.Decode(binary.BigEndian.Uint64(k), append([]byte(nil), v[8:]...))
	if err != nil {
		return nil, corrupt(string(bucketEvents), k, "%v", err)
	}
	return e, nil
}

// EventSeqBefore returns the sequence number after which the events at
// or after t begin: a cursor for ?since=. A t before the oldest event
// kept, when older events were trimmed, is a *events.GoneError.
func (db *DB) EventSeqBefore(t time.Time) (uint64, error) {
	var after uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		oldest, last := eventBounds(b)
		if oldest > last {
			if oldest > 1 {
				return &events.GoneError{Cursor: t.Format(time.RFC3339Nano), Oldest: events.FormatID(oldest)}
			}
			return nil
		}
		at := func(seq uint64) int64 {
			v := b.Get(binary.BigEndian.AppendUint64(nil, seq))
			if len(v) < 8 {
				return 0
			}
			return int64(binary.BigEndian.Uint64(v))
		}
		want := t.UnixNano()
		if at(oldest) > want && oldest > 1 {
			return &events.GoneError{Cursor: t.Format(time.RFC3339Nano), Oldest: events.FormatID(oldest)}
		}
		// The first seq in [oldest, last+1] whose time is at or after t;
		// times follow ids (give or take the clock's steps).
		lo, hi := oldest, last+1
		for lo < hi {
			mid := lo + (hi-lo)/2
			if at(mid) < want {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		after = lo - 1
		return nil
	})
	return after, err
}

// TrimEvents deletes events from the oldest on while they are older
// than before or more than max are kept (max ≤ 0: no count bound); the
// count bound stops at keepFrom, if not 0 (events from it on are kept
// for a webhook that has not delivered them). It deletes at most batch events
// and returns how many it deleted.
func (db *DB) TrimEvents(before time.Time, max int, keepFrom uint64, batch int) (int, error) {
	n := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		oldest, last := eventBounds(b)
		cut := before.UnixNano()
		var dead [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(dead) < batch; k, v = c.Next() {
			seq := binary.BigEndian.Uint64(k)
			kept := last - oldest + 1 - uint64(len(dead))
			old := len(v) >= 8 && int64(binary.BigEndian.Uint64(v)) < cut
			over := max > 0 && kept > uint64(max) && (keepFrom == 0 || seq < keepFrom)
			if !old && !over {
				break
			}
			dead = append(dead, k)
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}
