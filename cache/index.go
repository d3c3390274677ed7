package cache

import "github.com/dgraph-io/ristretto/v2"

// reason is why an entry left the cache.
type reason uint8

const (
	reasonExit        reason = iota // ristretto let go of it for no reason given
	reasonRejected                  // the admission policy refused it
	reasonDropped                   // ristretto's write buffer was full
	reasonEvicted                   // evicted to make room
	reasonExpired                   // its TTL passed
	reasonInvalidated               // invalidated by module, tag or key
)

// indexLocked adds e to the index and its cost to the bytes held.
func (c *Cache) indexLocked(e *entry) {
	c.keys[e.key] = e
	addTo(c.modules, e.module, e.key)
	for _, t := range e.tags {
		addTo(c.tags, t, e.key)
	}
	c.bytes += e.cost
}

// remove is removeLocked under c.mu.
func (c *Cache) remove(e *entry, why reason) {
	c.mu.Lock()
	c.removeLocked(e, why)
	c.mu.Unlock()
}

// removeLocked takes e out of the index, once, and counts why. ristretto
// reports some removals more than once (OnEvict then OnExit) and some with a
// nil entry; both are ignored.
func (c *Cache) removeLocked(e *entry, why reason) {
	if e == nil || e.gone.Load() {
		return
	}
	e.gone.Store(true)
	c.bytes -= e.cost
	if c.keys[e.key] == e {
		delete(c.keys, e.key)
		removeFrom(c.modules, e.module, e.key)
		for _, t := range e.tags {
			removeFrom(c.tags, t, e.key)
		}
	}
	if c.closed {
		return
	}
	switch why {
	case reasonRejected:
		c.counts.rejected++
	case reasonDropped:
		c.counts.dropped++
	case reasonEvicted:
		c.counts.evicted++
	case reasonExpired:
		c.counts.expired++
	case reasonInvalidated:
		c.counts.invalidated++
	}
}

// onEvict is ristretto's OnEvict: an eviction to make room, or the removal
// of an expired entry by its periodic cleanup.
func (c *Cache) onEvict(it *ristretto.Item[*entry]) {
	e := it.Value
	if e == nil {
		return
	}
	c.mu.Lock()
	why := reasonEvicted
	if !c.now().Before(e.expires) {
		why = reasonExpired
	}
	c.removeLocked(e, why)
	c.mu.Unlock()
}

func addTo(m map[string]map[Key]struct{}, name string, k Key) {
	set := m[name]
	if set == nil {
		set = map[Key]struct{}{}
		m[name] = set
	}
	set[k] = struct{}{}
}

func removeFrom(m map[string]map[Key]struct{}, name string, k Key) {
	if set := m[name]; set != nil {
		delete(set, k)
		if len(set) == 0 {
			delete(m, name)
		}
	}
}
