package tasks

import "time"

// ReapExpiredAt runs one pass of the reaper as if the time were now.
func (s *Service) ReapExpiredAt(now time.Time) { s.reapExpired(now) }
