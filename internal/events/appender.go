package events

import (
	"log/slog"
	"sync"
)

// Appender appends events to a Log in batches, on a goroutine of its
// own: many events share one transaction (one fsync), and the caller
// does not wait for the disk. It is for events that report no durable
// change (invoke.finished): a crash loses the events not yet appended.
// Append blocks only while its bounded queue is full. Its methods are
// safe for concurrent use.
type Appender struct {
	log Log
	lg  *slog.Logger
	q   chan *Event
	wg  sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

// NewAppender returns an appender to log holding at most queue events
// waiting (0: 4096).
func NewAppender(log Log, queue int, lg *slog.Logger) *Appender {
	if queue <= 0 {
		queue = 4096
	}
	if lg == nil {
		lg = slog.Default()
	}
	a := &Appender{log: log, lg: lg, q: make(chan *Event, queue)}
	a.wg.Add(1)
	go a.loop()
	return a
}

// Append queues e. After Close it does nothing.
func (a *Appender) Append(e *Event) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return
	}
	e.Encode()
	a.q <- e
}

func (a *Appender) loop() {
	defer a.wg.Done()
	batch := make([]*Event, 0, 256)
	for e := range a.q {
		batch = append(batch[:0], e)
	more:
		for len(batch) < cap(batch) {
			select {
			case e, ok := <-a.q:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		if err := a.log.AppendEvents(batch...); err != nil {
			a.lg.Error("events: appending", "events", len(batch), "err", err)
		}
	}
}

// Close appends what is queued and stops.
func (a *Appender) Close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	close(a.q)
	a.mu.Unlock()
	a.wg.Wait()
}
