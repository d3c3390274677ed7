package events

import (
	"context"
	"errors"
	"sync"
)

// DefaultBuffer is a subscription's buffer when Subscribe is given none.
const DefaultBuffer = 256

// replayPage is how many events a lagging subscription reads from the
// log at a time.
const replayPage = 256

// ErrClosed is returned by Subscription.Next after Close.
var ErrClosed = errors.New("events: subscription closed")

// dispatchQueue is how many published batches may wait for the
// dispatcher; past it every subscriber is moved to replay.
const dispatchQueue = 4096

// Bus fans committed events out to subscribers. The Log calls Publish
// after each commit, in id order; Publish never blocks: one dispatcher
// goroutine hands the events to the subscribers, so the writer that
// committed them goes on at once. Its methods are safe for concurrent
// use.
type Bus struct {
	log   Log
	queue chan []*Event // to the dispatcher
	ring  ring          // the last events published, for lagging readers

	mu   sync.Mutex
	subs map[*Subscription]struct{} // every subscription
	// all are the subscriptions without a Task filter; byTask the others,
	// by task: a thousand clients each waiting for its own task cost the
	// dispatcher one map lookup per event, not a thousand filters.
	all    map[*Subscription]struct{}
	byTask map[string]map[*Subscription]struct{}

	// OnPublish, if set before the first Publish, is called with each
	// event published (metrics), on the dispatcher's goroutine.
	OnPublish func(*Event)
}

// NewBus returns a bus whose lagging subscribers read log. Its
// dispatcher runs for the life of the process; a Bus is meant to live as
// long as its Log.
func NewBus(log Log) *Bus {
	b := &Bus{log: log, subs: make(map[*Subscription]struct{}), all: make(map[*Subscription]struct{}),
		byTask: make(map[string]map[*Subscription]struct{}), queue: make(chan []*Event, dispatchQueue)}
	go b.dispatch()
	return b
}

// Publish hands committed events to every subscriber whose filter they
// pass, through the dispatcher. evs must be committed (ids set) and come
// in id order, after the events of every earlier call. A subscriber
// whose buffer is full is moved to replay from the log; if the
// dispatcher itself is that far behind, every subscriber is. Publish does
// not wait for anyone.
func (b *Bus) Publish(evs []*Event) {
	if len(evs) == 0 {
		return
	}
	b.ring.add(evs)
	select {
	case b.queue <- evs:
	default:
		b.mu.Lock()
		for s := range b.subs {
			s.lag()
		}
		b.mu.Unlock()
		if b.OnPublish != nil {
			for _, e := range evs {
				b.OnPublish(e)
			}
		}
	}
}

// dispatch hands the published batches to the subscribers.
func (b *Bus) dispatch() {
	for evs := range b.queue {
		b.mu.Lock()
		for s := range b.all {
			s.offer(evs)
		}
		if len(b.byTask) > 0 {
			for i, e := range evs {
				for s := range b.byTask[e.TaskID] {
					s.offer(evs[i : i+1])
				}
			}
		}
		b.mu.Unlock()
		if b.OnPublish != nil {
			for _, e := range evs {
				b.OnPublish(e)
			}
		}
	}
}

// Subscribers returns how many subscriptions are open.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Subscribe returns a subscription to the events that pass f, published
// after after (a sequence number; see ParseID): the ones already in the
// log first, then the live ones. buffer bounds the events held for the
// subscriber (0: DefaultBuffer). f must be valid (Filter.Validate). The
// caller must Close the subscription.
func (b *Bus) Subscribe(f Filter, after uint64, buffer int) *Subscription {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	s := &Subscription{bus: b, filter: f, ch: make(chan *Event, buffer), last: after, notify: make(chan struct{}, 1)}
	// It starts lagging: Next reads the log after `after` first, then
	// rejoins the live stream.
	s.lagging = true
	b.mu.Lock()
	b.subs[s] = struct{}{}
	if f.Task == "" {
		b.all[s] = struct{}{}
	} else {
		if b.byTask[f.Task] == nil {
			b.byTask[f.Task] = make(map[*Subscription]struct{})
		}
		b.byTask[f.Task][s] = struct{}{}
	}
	b.mu.Unlock()
	return s
}

// SubscribeLive is Subscribe from the next event published: no replay.
func (b *Bus) SubscribeLive(f Filter, buffer int) (*Subscription, error) {
	last, err := b.log.LastEventSeq()
	if err != nil {
		return nil, err
	}
	return b.Subscribe(f, last, buffer), nil
}

// Subscription is one subscriber's view of the events: every event that
// passes its filter, once, in id order. Next is for one goroutine;
// Close may be called from any.
type Subscription struct {
	bus    *Bus
	filter Filter
	ch     chan *Event
	notify chan struct{} // buffered 1: lagging was set

	mu      sync.Mutex
	lagging bool // the publisher skips it; Next reads the log
	closed  bool

	last    uint64   // sequence number of the last event Next returned
	pending []*Event // read from the log, not yet returned
}

// offer hands evs to s without blocking; called with Bus.mu held.
func (s *Subscription) offer(evs []*Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lagging || s.closed {
		return
	}
	for _, e := range evs {
		if !s.filter.Match(e) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			s.lagLocked()
			return
		}
	}
}

// lag moves s to replay from the log.
func (s *Subscription) lag() {
	s.mu.Lock()
	s.lagLocked()
	s.mu.Unlock()
}

func (s *Subscription) lagLocked() {
	s.lagging = true
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Next returns the next event, waiting for one until ctx ends. It
// returns a *GoneError if the subscriber fell so far behind that the
// events it missed were trimmed from the log (and are no longer among
// the bus's recent ones), ErrClosed after Close.
func (s *Subscription) Next(ctx context.Context) (*Event, error) {
	for {
		if len(s.pending) > 0 {
			e := s.pending[0]
			s.pending = s.pending[1:]
			s.last = e.seq
			return e, nil
		}
		select {
		case e := <-s.ch:
			if e.seq <= s.last {
				continue // already read from the log
			}
			s.last = e.seq
			return e, nil
		default:
		}
		s.mu.Lock()
		lagging, closed := s.lagging, s.closed
		s.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		if lagging {
			if err := s.replay(); err != nil {
				return nil, err
			}
			continue
		}
		select {
		case e := <-s.ch:
			if e.seq <= s.last {
				continue
			}
			s.last = e.seq
			return e, nil
		case <-s.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// replay reads the next page of the log after s.last into s.pending. At
// the end of the log it rejoins the live stream first and reads once
// more, so no event published meanwhile is missed (Next drops the copies
// the channel then brings).
func (s *Subscription) replay() error {
	evs, err := s.bus.read(s.last, &s.filter, replayPage)
	if err != nil {
		return err
	}
	if len(evs) == replayPage {
		s.pending = evs
		return nil
	}
	s.mu.Lock()
	s.lagging = false
	s.mu.Unlock()
	// Events committed before the rejoin are in the log; those after it
	// come through the channel too.
	for {
		after := s.last
		if len(evs) > 0 {
			after = evs[len(evs)-1].seq
		}
		more, err := s.bus.read(after, &s.filter, replayPage)
		if err != nil {
			return err
		}
		evs = append(evs, more...)
		if len(more) < replayPage {
			break
		}
	}
	s.pending = evs
	return nil
}

// read returns up to limit events after `after` that pass f: from the
// ring of recent events, shared by every reader (their JSON made once),
// when it reaches back that far, else from the log.
func (b *Bus) read(after uint64, f *Filter, limit int) ([]*Event, error) {
	if evs, ok := b.ring.after(after, f, limit); ok {
		return evs, nil
	}
	return b.log.ReadEvents(after, f, limit)
}

// Buffered returns how many events Next can return without waiting
// (not counting those it would read from the log).
func (s *Subscription) Buffered() int { return len(s.pending) + len(s.ch) }

// Last returns the sequence number of the last event Next returned (or
// the after Subscribe was given).
func (s *Subscription) Last() uint64 { return s.last }

// Close ends the subscription: the publisher forgets it and Next
// returns ErrClosed.
func (s *Subscription) Close() {
	b := s.bus
	b.mu.Lock()
	delete(b.subs, s)
	delete(b.all, s)
	if t := s.filter.Task; t != "" {
		delete(b.byTask[t], s)
		if len(b.byTask[t]) == 0 {
			delete(b.byTask, t)
		}
	}
	b.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}
