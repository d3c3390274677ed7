package cache

// Selector chooses entries to invalidate: those of Module (every version),
// those tagged Tag, and the one under Key. Empty fields select nothing; the
// fields that are set are combined with "or".
type Selector struct {
	Module string
	Tag    string
	Key    Key
}

// Invalidate removes the entries sel selects and returns how many it
// removed. Computations in flight that sel selects are detached: their
// results are returned to their callers but not stored, and calls that
// start afterwards do not wait for them.
func (c *Cache) Invalidate(sel Selector) int {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	c.mu.Lock()
	victims := map[Key]struct{}{}
	if _, ok := c.keys[sel.Key]; ok && sel.Key != "" {
		victims[sel.Key] = struct{}{}
	}
	if sel.Module != "" {
		for k := range c.modules[sel.Module] {
			victims[k] = struct{}{}
		}
	}
	if sel.Tag != "" {
		for k := range c.tags[sel.Tag] {
			victims[k] = struct{}{}
		}
	}
	for k := range victims {
		c.removeLocked(c.keys[k], reasonInvalidated)
	}
	for k, f := range c.flights {
		if f.matches(k, sel) {
			f.stale = true
			delete(c.flights, k)
		}
	}
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		for k := range victims {
			c.rc.Del(string(k))
		}
	}
	return len(victims)
}

// InvalidateModule removes every entry of module, all versions.
func (c *Cache) InvalidateModule(module string) int { return c.Invalidate(Selector{Module: module}) }
