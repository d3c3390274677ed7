package tasks

import "time"

// NewIDAt is NewID made at now.
func NewIDAt(now time.Time) string { return newID(now) }

// ReapExpiredAt runs one pass of the reaper as if the time were now.
func (s *Service) ReapExpiredAt(now time.Time) { s.reapExpired(now) }

// MoveTo exposes Record.moveTo.
func MoveTo(r *Record, t State) { r.moveTo(t) }
