package cache

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Result is what a successful run produced. Values held by the cache are
// shared between callers and must not be modified.
type Result struct {
	// Output is the task's output.
	Output []byte
	// FuelUsed is the fuel the run used (deterministic for a pure module).
	FuelUsed int64
}

// Cache holds results of pure tasks. It is safe for concurrent use. Close
// it to stop its goroutines.
type Cache struct {
	maxBytes atomic.Int64
	rc       *ristretto.Cache[string, *entry]
	now      func() time.Time

	// setMu serialises writes to rc (SetWithTTL with Wait, Del), so that
	// each write's outcome is known when it returns.
	setMu sync.Mutex

	mu      sync.Mutex // guards what follows; never held while calling rc
	keys    map[Key]*entry
	modules map[string]map[Key]struct{}
	tags    map[string]map[Key]struct{}
	flights map[Key]*flight
	bytes   int64
	closed  bool
	counts  counts

	hits, misses, coalesced, bypasses atomic.Uint64
}

// counts are the outcomes of writes and removals, guarded by Cache.mu.
type counts struct {
	stored, rejected, dropped, evicted, expired, invalidated uint64
}

// entry is one stored result. Its fields do not change once it is stored,
// except gone, which is set (under Cache.mu) when it leaves the index.
type entry struct {
	key     Key
	module  string
	tags    []string
	res     Result
	cost    int64
	expires time.Time
	gone    atomic.Bool
}

// New returns an empty cache.
func New(cfg Config) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Cache{
		now:     time.Now,
		keys:    map[Key]*entry{},
		modules: map[string]map[Key]struct{}{},
		tags:    map[string]map[Key]struct{}{},
		flights: map[Key]*flight{},
	}
	rc, err := ristretto.NewCache(&ristretto.Config[string, *entry]{
		NumCounters:        cfg.Counters,
		MaxCost:            cfg.MaxBytes,
		BufferItems:        64,
		IgnoreInternalCost: true, // the cost already counts the entry's overhead
		OnEvict:            c.onEvict,
		OnReject:           func(it *ristretto.Item[*entry]) { c.remove(it.Value, reasonRejected) },
		OnExit:             func(e *entry) { c.remove(e, reasonExit) },
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c.rc = rc
	c.maxBytes.Store(cfg.MaxBytes)
	return c, nil
}

// Close drops every entry and stops the cache's goroutines. Calls after
// Close miss and store nothing.
func (c *Cache) Close() {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.rc.Close()
}

// MaxBytes returns the bound on the bytes the cache holds.
func (c *Cache) MaxBytes() int64 { return c.maxBytes.Load() }

// Get returns the result stored under key, counting a hit or a miss. The
// result must not be modified.
func (c *Cache) Get(key Key) (Result, bool) {
	if e, ok := c.lookup(key); ok {
		c.hits.Add(1)
		return e.res, true
	}
	c.misses.Add(1)
	c.dropExpired(key)
	return Result{}, false
}

// Bypass counts a request that did not ask for caching, for Stats.
func (c *Cache) Bypass() { c.bypasses.Add(1) }

// lookup returns the live entry of key without counting.
func (c *Cache) lookup(key Key) (*entry, bool) {
	e, ok := c.rc.Get(string(key))
	if !ok || e == nil || e.key != key || e.gone.Load() {
		return nil, false
	}
	return e, true
}

// dropExpired removes the entry of key if its TTL has passed but ristretto
// has not cleaned it up yet, so that its bytes are released at once.
func (c *Cache) dropExpired(key Key) {
	c.mu.Lock()
	e := c.keys[key]
	expired := e != nil && !c.now().Before(e.expires)
	c.mu.Unlock()
	if !expired {
		return
	}
	c.setMu.Lock()
	defer c.setMu.Unlock()
	c.mu.Lock()
	e = c.keys[key]
	expired = e != nil && !c.now().Before(e.expires)
	if expired {
		c.removeLocked(e, reasonExpired)
	}
	closed := c.closed
	c.mu.Unlock()
	if expired && !closed {
		c.rc.Del(string(key))
	}
}

// put stores res under req.Key unless f was detached by an invalidation,
// and reports whether the entry is held when it returns.
func (c *Cache) put(req *Request, res Result, f *flight) bool {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	c.mu.Lock()
	if f.stale || c.closed {
		c.mu.Unlock()
		return false
	}
	old := c.keys[req.Key]
	if old != nil {
		// An expired entry ristretto has not cleaned up yet: replace it
		// with a new insertion rather than an update, which ristretto
		// applies without admission or eviction.
		c.removeLocked(old, reasonExpired)
	}
	// The entry owns a copy of the output: the caller's may be reused.
	res.Output = bytes.Clone(res.Output)
	e := &entry{key: req.Key, module: req.Module, tags: append([]string(nil), req.Tags...), res: res,
		expires: c.now().Add(req.TTL)}
	e.cost = int64(len(res.Output)+len(e.key)+len(e.module)) + EntryOverhead
	for _, t := range e.tags {
		e.cost += int64(len(t))
	}
	c.indexLocked(e)
	c.mu.Unlock()
	if old != nil {
		c.rc.Del(string(req.Key))
	}
	if !c.rc.SetWithTTL(string(req.Key), e, e.cost, req.TTL) {
		c.remove(e, reasonDropped) // ristretto's write buffer was full
		return false
	}
	c.rc.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.gone.Load() {
		return false
	}
	c.counts.stored++
	return true
}
