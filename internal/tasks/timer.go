package tasks

import (
	"container/heap"
	"time"
)

// timerLoop moves scheduled tasks to the ready queue when they are due. It
// sleeps on one timer set to the earliest due time and is woken early when
// an earlier task arrives: no polling interval, so the lag is the timer's
// and the dispatch's, not a poll period's.
func (s *Service) timerLoop() {
	defer s.loops.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		now := time.Now()
		for {
			at, ok := s.timers.next()
			if !ok || at.After(now) {
				break
			}
			e := heap.Pop(&s.timers).(*entry)
			s.enqueueLocked(e, now)
		}
		wait := time.Hour
		if at, ok := s.timers.next(); ok {
			wait = at.Sub(now)
		}
		s.mu.Unlock()
		t.Reset(wait)
		select {
		case <-t.C:
		case <-s.wakeTimer:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-s.stop:
			return
		}
	}
}
