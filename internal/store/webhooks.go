package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/nexustask/nexus/internal/events"
	bolt "go.etcd.io/bbolt"
)

var _ events.WebhookStore = (*DB)(nil)

var (
	// bucketWebhooks holds name → JSON events.Endpoint (without its
	// cursor), sealed under the name.
	bucketWebhooks = []byte("webhooks")
	// bucketWebhookCursors holds name → 8-byte big-endian sequence number
	// of the last event the endpoint has delivered (or skipped as not
	// matching its filter).
	bucketWebhookCursors = []byte("webhook_cursors")
	eventBuckets         = [][]byte{bucketEvents, bucketWebhooks, bucketWebhookCursors}
)

// CreateWebhook implements events.WebhookStore: the endpoint's cursor
// starts at the newest event, so it is sent the events published after.
func (db *DB) CreateWebhook(ep events.Endpoint) (events.Endpoint, error) {
	ep.Cursor = 0
	enc, err := json.Marshal(ep)
	if err != nil {
		return ep, fmt.Errorf("store: encode webhook %s: %w", ep.Name, err)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		if b.Get([]byte(ep.Name)) != nil {
			return fmt.Errorf("%w: %q", events.ErrWebhookExists, ep.Name)
		}
		ep.Cursor = tx.Bucket(bucketEvents).Sequence()
		if err := tx.Bucket(bucketWebhookCursors).Put([]byte(ep.Name), binary.BigEndian.AppendUint64(nil, ep.Cursor)); err != nil {
			return err
		}
		return putSealed(b, []byte(ep.Name), enc)
	})
	return ep, err
}

// UpdateWebhook implements events.WebhookStore.
func (db *DB) UpdateWebhook(ep events.Endpoint) error {
	ep.Cursor = 0
	enc, err := json.Marshal(ep)
	if err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		if b.Get([]byte(ep.Name)) == nil {
			return fmt.Errorf("%w: %q", events.ErrWebhookNotFound, ep.Name)
		}
		return putSealed(b, []byte(ep.Name), enc)
	})
}

// DeleteWebhook implements events.WebhookStore.
func (db *DB) DeleteWebhook(name string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		if b.Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %q", events.ErrWebhookNotFound, name)
		}
		if err := tx.Bucket(bucketWebhookCursors).Delete([]byte(name)); err != nil {
			return err
		}
		return b.Delete([]byte(name))
	})
}

// Webhook implements events.WebhookStore.
func (db *DB) Webhook(name string) (events.Endpoint, error) {
	var ep events.Endpoint
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		if b == nil || b.Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %q", events.ErrWebhookNotFound, name)
		}
		var err error
		ep, err = db.decodeWebhook(tx, []byte(name), b.Get([]byte(name)))
		return err
	})
	return ep, err
}

// Webhooks implements events.WebhookStore: every endpoint, by name.
func (db *DB) Webhooks() ([]events.Endpoint, error) {
	var out []events.Endpoint
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			ep, err := db.decodeWebhook(tx, k, v)
			if err != nil {
				return err
			}
			out = append(out, ep)
			return nil
		})
	})
	return out, err
}

func (db *DB) decodeWebhook(tx *bolt.Tx, k, v []byte) (events.Endpoint, error) {
	var ep events.Endpoint
	raw, err := unseal(string(bucketWebhooks), k, v)
	if err != nil {
		return ep, err
	}
	if err := json.Unmarshal(raw, &ep); err != nil {
		return ep, corrupt(string(bucketWebhooks), k, "%v", err)
	}
	if c := tx.Bucket(bucketWebhookCursors).Get(k); len(c) == 8 {
		ep.Cursor = binary.BigEndian.Uint64(c)
	}
	return ep, nil
}

// SaveWebhookCursors implements events.WebhookStore: the cursors are
// written with the next transaction that appends events (a group commit
// of tasks, usually: no sync of their own under load), or by
// SyncWebhookCursors, whichever comes first.
func (db *DB) SaveWebhookCursors(cursors map[string]uint64) error {
	db.events.curMu.Lock()
	defer db.events.curMu.Unlock()
	if db.events.cursors == nil {
		db.events.cursors = make(map[string]uint64, len(cursors))
	}
	for name, seq := range cursors {
		if seq > db.events.cursors[name] {
			db.events.cursors[name] = seq
		}
	}
	return nil
}

// SyncWebhookCursors implements events.WebhookStore: it writes the
// cursors saved and not yet written, in a transaction of its own.
func (db *DB) SyncWebhookCursors() error {
	db.events.mu.Lock()
	defer db.events.mu.Unlock()
	var taken map[string]uint64
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		var err error
		taken, err = db.putCursorsTx(tx)
		return err
	})
	if err != nil {
		db.SaveWebhookCursors(taken) // again with the next transaction
	}
	return err
}

// putCursorsTx writes the saved cursors in tx and returns them: the
// caller saves them again if tx does not commit.
func (db *DB) putCursorsTx(tx *bolt.Tx) (map[string]uint64, error) {
	db.events.curMu.Lock()
	pending := db.events.cursors
	db.events.cursors = nil
	db.events.curMu.Unlock()
	b := tx.Bucket(bucketWebhookCursors)
	for name, seq := range pending {
		if tx.Bucket(bucketWebhooks).Get([]byte(name)) == nil {
			continue // deleted meanwhile
		}
		if old := b.Get([]byte(name)); len(old) == 8 && binary.BigEndian.Uint64(old) >= seq {
			continue
		}
		if err := b.Put([]byte(name), binary.BigEndian.AppendUint64(nil, seq)); err != nil {
			return pending, err
		}
	}
	return pending, nil
}
