package tasks

import (
	"container/heap"
	"time"
)

// timerLoop moves scheduled tasks to the ready queue when they are due. It
// sleeps until the earliest due time on one timer of the service's clock,
// which kicks it, and is woken early when an earlier task arrives: no
// polling interval, so the lag is the timer's and the dispatch's, not a
// poll period's. The timer is set again only when the earliest due time
// changes.
func (s *Service) timerLoop() {
	defer s.loops.Done()
	var t Timer
	var armed time.Time // the due time t is set for; zero if none is pending
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		s.mu.Lock()
		now := s.clock.Now()
		for {
			at, ok := s.timers.next()
			if !ok || at.After(now) {
				break
			}
			e := heap.Pop(&s.timers).(*entry)
			s.enqueueLocked(e, now)
		}
		at, ok := s.timers.next()
		s.mu.Unlock()
		if !armed.IsZero() && !armed.After(now) {
			armed = time.Time{} // t has fired
		}
		if ok && !at.Equal(armed) {
			if t != nil {
				t.Stop()
			}
			t, armed = s.clock.AfterFunc(at.Sub(now), s.kickTimer), at
		}
		select {
		case <-s.wakeTimer:
		case <-s.stop:
			return
		}
	}
}
