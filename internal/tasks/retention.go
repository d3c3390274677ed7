package tasks

import (
	"fmt"
	"time"
)

// SetRetention changes how long tasks finishing from now on are kept
// (Config.Retention), while the service runs; tasks already finished keep
// the expiry they were given. d must be positive.
func (s *Service) SetRetention(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("tasks: Retention %s must be positive", d)
	}
	s.retentionNs.Store(int64(d))
	return nil
}

// retention is the retention of a task finishing now.
func (s *Service) retention() time.Duration {
	if d := s.retentionNs.Load(); d > 0 {
		return time.Duration(d)
	}
	return s.cfg.Retention
}
