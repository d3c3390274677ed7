package events

import "sync"

// ringSize is how many of the last events published a Bus keeps for
// readers that fell behind: with the events shared, a thousand lagging
// SSE clients cost one decoding and one JSON encoding of each event, not
// a thousand.
const ringSize = 1 << 14

// ring holds the last ringSize events published, in id order, with
// consecutive sequence numbers. Its methods are safe for concurrent use.
type ring struct {
	mu    sync.RWMutex
	buf   []*Event // circular
	first uint64   // sequence number of the oldest event held; 0: empty
	n     int
}

// add appends evs, which follow the events added before.
func (r *ring) add(evs []*Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf == nil {
		r.buf = make([]*Event, ringSize)
	}
	for _, e := range evs {
		if r.n > 0 && e.seq != r.first+uint64(r.n) {
			r.first, r.n = 0, 0 // a gap: start over from here
		}
		if r.n == 0 {
			r.first = e.seq
		}
		r.buf[(r.first+uint64(r.n))%ringSize] = e
		if r.n < ringSize {
			r.n++
		} else {
			r.first++
		}
	}
}

// after returns up to limit events after `after` that pass f, and true,
// if the ring holds every event after `after`; else false.
func (r *ring) after(after uint64, f *Filter, limit int) ([]*Event, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.n == 0 || after+1 < r.first {
		return nil, false
	}
	var out []*Event
	for seq := after + 1; seq < r.first+uint64(r.n) && len(out) < limit; seq++ {
		if e := r.buf[seq%ringSize]; f == nil || f.Match(e) {
			out = append(out, e)
		}
	}
	return out, true
}
