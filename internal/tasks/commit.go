package tasks

import (
	"sync"
	"sync/atomic"
)

// maxBatchWrites bounds the writes of one group commit.
const maxBatchWrites = 8192

// committer is the group commit: callers queue writes, one goroutine
// commits everything queued so far in one transaction (one fsync), then
// takes the next group. Under load groups grow by themselves; when idle a
// write is committed at once, with no batching delay. Writes are committed
// in the order they were queued. Its methods are safe for concurrent use.
type committer struct {
	store Store
	// events, if set, gives each write its events as it is queued.
	events func(*Write)

	mu      sync.Mutex
	pending []commitReq
	wake    chan struct{} // buffered 1
	closed  bool
	done    chan struct{} // closed when the loop has returned

	commits, writes atomic.Uint64 // groups committed and their writes
}

type commitReq struct {
	ws   []Write
	done chan error // nil: nobody waits
}

func newCommitter(s Store) *committer {
	c := &committer{store: s, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

// commit queues ws and waits until they are durable. Records are encoded
// here, on the caller's goroutine (see Write.Encoded).
func (c *committer) commit(ws ...Write) error {
	done, err := c.commitLater(ws...)
	if err != nil {
		return err
	}
	return <-done
}

// commitLater queues ws as commit does and returns at once: the channel
// receives the commit's error (nil once ws are durable).
func (c *committer) commitLater(ws ...Write) (<-chan error, error) {
	c.addEvents(ws)
	for i := range ws {
		if w := &ws[i]; !w.Delete && w.Rec != nil && w.Encoded == nil {
			enc, err := c.store.EncodeTask(w.Rec)
			if err != nil {
				return nil, err
			}
			w.Encoded = enc
		}
	}
	done := make(chan error, 1)
	if err := c.enqueue(commitReq{ws: ws, done: done}); err != nil {
		return nil, err
	}
	return done, nil
}

// commitAsync queues ws and returns at once; a later commit's success
// implies theirs, since groups commit in order.
func (c *committer) commitAsync(ws ...Write) {
	c.addEvents(ws)
	c.enqueue(commitReq{ws: ws})
}

// addEvents gives each write its events, on the caller's goroutine.
func (c *committer) addEvents(ws []Write) {
	if c.events == nil {
		return
	}
	for i := range ws {
		c.events(&ws[i])
	}
}

func (c *committer) enqueue(r commitReq) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.pending = append(c.pending, r)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

func (c *committer) loop() {
	defer close(c.done)
	var ws []Write
	for range c.wake {
		for {
			c.mu.Lock()
			group := c.pending
			n := 0
			for i, r := range group {
				if n += len(r.ws); n > maxBatchWrites && i > 0 {
					group = group[:i]
					break
				}
			}
			c.pending = c.pending[len(group):]
			closed := c.closed && len(c.pending) == 0 && len(group) == 0
			c.mu.Unlock()
			if closed {
				return
			}
			if len(group) == 0 {
				break
			}
			ws = ws[:0]
			for _, r := range group {
				ws = append(ws, r.ws...)
			}
			c.commitGroup(group, coalesce(ws))
		}
	}
}

// commitGroup commits a group in one transaction. If that fails, each
// request is committed alone so that one bad write fails only its own
// caller.
func (c *committer) commitGroup(group []commitReq, ws []Write) {
	err := c.store.CommitTasks(ws)
	if err == nil {
		c.commits.Add(1)
		c.writes.Add(uint64(len(ws)))
	}
	if err == nil || len(group) == 1 {
		for _, r := range group {
			if r.done != nil {
				r.done <- err
			}
		}
		return
	}
	for _, r := range group {
		err := c.store.CommitTasks(r.ws)
		if r.done != nil {
			r.done <- err
		}
	}
}

// close commits what is queued, then stops the loop.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-c.done
}

// coalesce drops a write that a later write of the same task in the group
// supersedes: when the earlier one carries only a record (no kv writes,
// no checkpoint), the later one takes over its Prev and the store applies
// one change instead of two. A task created, started and finished within
// one group is written once. Writes carrying kv writes or checkpoints are
// never moved, so kv writes keep their order. The later write takes the
// earlier one's events before its own, so every event stays, in order.
func coalesce(ws []Write) []Write {
	if len(ws) < 2 {
		return ws
	}
	last := make(map[string]int, len(ws)) // task id → index of its latest write
	drop := 0
	for i := range ws {
		w := &ws[i]
		if w.Rec == nil {
			// Events only (progress): a later write of the task must not
			// take an earlier one's events past them.
			for _, e := range w.Events {
				delete(last, e.TaskID)
			}
			continue
		}
		j, ok := last[w.Rec.ID]
		last[w.Rec.ID] = i
		if !ok {
			continue
		}
		p := &ws[j]
		if p.Delete || w.Delete || len(p.KV) > 0 || p.Checkpoint != nil {
			continue
		}
		w.Prev = p.Prev
		if len(p.Events) > 0 {
			w.Events = append(p.Events[:len(p.Events):len(p.Events)], w.Events...)
		}
		p.Rec, p.Events = nil, nil // dropped
		drop++
	}
	if drop == 0 {
		return ws
	}
	out := make([]Write, 0, len(ws)-drop)
	for _, w := range ws {
		if w.Rec != nil || len(w.Events) > 0 || len(w.Side) > 0 {
			out = append(out, w)
		}
	}
	return out
}
