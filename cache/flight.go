package cache

import (
	"context"
	"slices"
)

// Outcome says how Do answered.
type Outcome uint8

// Outcomes of Do.
const (
	// Miss: this call ran the computation.
	Miss Outcome = iota
	// Hit: the result was stored.
	Hit
	// Coalesced: an identical call was already running; this one waited
	// for its result (or its error) instead of running again.
	Coalesced
)

// String returns "miss", "hit" or "coalesced".
func (o Outcome) String() string {
	switch o {
	case Hit:
		return "hit"
	case Coalesced:
		return "coalesced"
	}
	return "miss"
}

// flight is one running computation that identical calls wait for.
type flight struct {
	module string
	tags   []string
	done   chan struct{} // closed when res, err and retry are set

	waiters int // calls that joined it (guarded by Cache.mu)

	res   Result
	err   error
	retry bool // the computation ended for its own caller's reasons: waiters run it themselves

	stale bool // detached by an invalidation: its result is not stored (guarded by Cache.mu)
}

// Do returns the result stored under req.Key, or computes it with run and
// stores it for req.TTL if run succeeds. Concurrent calls with the same key
// run it once: the others wait for that run and share its result or its
// error. If the running call's own context ends, the waiting calls do not
// inherit its cancellation: one of them runs the computation instead. A
// waiting call whose ctx ends returns ctx's cause.
//
// A stored result is a copy of run's, so run's caller may reuse its output
// buffer. Errors from run are returned as they are and never stored. Do returns an
// error wrapping ErrInvalid, without calling run, for a malformed req, and
// runs without storing after Close. The result must not be modified.
func (c *Cache) Do(ctx context.Context, req Request, run func(context.Context) (Result, error)) (Result, Outcome, error) {
	if err := req.validate(); err != nil {
		return Result{}, Miss, err
	}
	for {
		if e, ok := c.lookup(req.Key); ok {
			c.hits.Add(1)
			return e.res, Hit, nil
		}
		c.mu.Lock()
		f, joined := c.flights[req.Key]
		if joined {
			f.waiters++
		} else {
			f = &flight{module: req.Module, tags: req.Tags, done: make(chan struct{})}
			c.flights[req.Key] = f
		}
		c.mu.Unlock()
		if !joined {
			return c.lead(ctx, &req, f, run)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return Result{}, Coalesced, context.Cause(ctx)
		}
		if f.retry {
			continue
		}
		c.coalesced.Add(1)
		return f.res, Coalesced, f.err
	}
}

// lead runs the computation of flight f and hands its outcome to the
// calls waiting for it.
func (c *Cache) lead(ctx context.Context, req *Request, f *flight, run func(context.Context) (Result, error)) (Result, Outcome, error) {
	finished := false
	defer func() {
		if !finished { // run panicked: let the waiters try themselves
			f.err, f.retry = errAborted, true
			c.land(req.Key, f)
		}
	}()
	// A flight for this key may have stored its result and landed between
	// the lookup and the registration of f.
	if e, ok := c.lookup(req.Key); ok {
		c.hits.Add(1)
		f.res, finished = e.res, true
		c.land(req.Key, f)
		return e.res, Hit, nil
	}
	c.misses.Add(1)
	c.dropExpired(req.Key)
	res, err := run(ctx)
	if err == nil {
		c.put(req, res, f)
	}
	f.res, f.err, f.retry = res, err, err != nil && ctx.Err() != nil
	finished = true
	c.land(req.Key, f)
	return res, Miss, err
}

// land removes f from the flights (unless an invalidation already did) and
// releases its waiters.
func (c *Cache) land(key Key, f *flight) {
	c.mu.Lock()
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	c.mu.Unlock()
	close(f.done)
}

// matches reports whether an invalidation of sel applies to flight f of key.
func (f *flight) matches(key Key, sel Selector) bool {
	return (sel.Key != "" && key == sel.Key) ||
		(sel.Module != "" && f.module == sel.Module) ||
		(sel.Tag != "" && slices.Contains(f.tags, sel.Tag))
}
