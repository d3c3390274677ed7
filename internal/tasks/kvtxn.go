package tasks

import (
	"fmt"
	"sync"

	"github.com/nexustask/nexus/host"
)

// kvTxn is the kv store an attempt of a durable task sees: reads fall
// through to the base store, writes are held in the attempt until they are
// committed with its next checkpoint or with its successful outcome, in the
// same transaction as the task's record (see Service). The attempt reads
// its own writes. Safe for concurrent use.
type kvTxn struct {
	base host.KV

	mu      sync.Mutex
	ns      string
	pending map[string]kvPending // key → latest write, uncommitted
	order   []string             // keys in first-write order
	delta   int64                // change of the namespace's bytes
}

type kvPending struct {
	value   []byte
	deleted bool
}

var _ host.KV = (*kvTxn)(nil)

// kvSizer is a host.KV that tells a namespace's committed size (key and
// value bytes), so that held-back writes can be checked against the cap.
type kvSizer interface {
	KVSize(ns string) (int64, error)
}

func newKVTxn(base host.KV) *kvTxn { return &kvTxn{base: base} }

// Get implements host.KV.
func (t *kvTxn) Get(ns, key string) ([]byte, bool, error) {
	t.mu.Lock()
	if p, ok := t.pending[key]; ok && ns == t.ns {
		t.mu.Unlock()
		if p.deleted {
			return nil, false, nil
		}
		return append([]byte(nil), p.value...), true, nil
	}
	t.mu.Unlock()
	return t.base.Get(ns, key)
}

// Set implements host.KV. The namespace's size is checked against the
// committed size plus this attempt's pending change.
func (t *kvTxn) Set(ns, key string, value []byte, maxTotal int64) error {
	old, found, err := t.Get(ns, key)
	if err != nil {
		return err
	}
	change := int64(len(key) + len(value))
	if found {
		change -= int64(len(key) + len(old))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if change > 0 {
		if sz, ok := t.base.(kvSizer); ok {
			total, err := sz.KVSize(ns)
			if err != nil {
				return err
			}
			if total+t.delta+change > maxTotal {
				return fmt.Errorf("%w: %d bytes would pass %d", host.ErrKVFull, total+t.delta+change, maxTotal)
			}
		}
	}
	t.putLocked(ns, key, kvPending{value: append([]byte(nil), value...)})
	t.delta += change
	return nil
}

// Delete implements host.KV.
func (t *kvTxn) Delete(ns, key string) (bool, error) {
	old, found, err := t.Get(ns, key)
	if err != nil || !found {
		return false, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.putLocked(ns, key, kvPending{deleted: true})
	t.delta -= int64(len(key) + len(old))
	return true, nil
}

func (t *kvTxn) putLocked(ns, key string, p kvPending) {
	if t.pending == nil {
		t.pending, t.ns = map[string]kvPending{}, ns
	}
	if _, ok := t.pending[key]; !ok {
		t.order = append(t.order, key)
	}
	t.pending[key] = p
}

// take returns the pending writes as ops and forgets them: they are about
// to be committed. Reads keep falling through to the base store, which has
// them once the commit is done (the caller waits for it).
func (t *kvTxn) take() []KVOp {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.order) == 0 {
		return nil
	}
	ops := make([]KVOp, 0, len(t.order))
	for _, k := range t.order {
		p := t.pending[k]
		ops = append(ops, KVOp{Namespace: t.ns, Key: k, Value: p.value, Delete: p.deleted})
	}
	t.pending, t.order, t.delta = nil, nil, 0
	return ops
}
