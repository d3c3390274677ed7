package tasks

import (
	"context"
	"fmt"

	"github.com/nexustask/nexus/internal/errkind"
)

// Listing bounds.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// List returns up to limit records matching f, newest first, and the
// cursor of the next page ("" on the last page). Records come from the
// store's indexes; inputs and outputs are left out. Running tasks show
// their live progress.
func (s *Service) List(ctx context.Context, f Filter, limit int) ([]Record, string, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, "", fmt.Errorf("%w: unknown state %q", errkind.ErrInvalidRequest, f.State)
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	recs, err := s.store.ListTasks(f, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(recs) > limit {
		recs = recs[:limit]
		next = recs[limit-1].ID
	}
	s.mu.Lock()
	for i := range recs {
		if e, ok := s.active[recs[i].ID]; ok && e.rec.State == recs[i].State {
			if p := e.progress.Load(); p != nil {
				recs[i].Progress = *p
			}
		}
	}
	s.mu.Unlock()
	return recs, next, nil
}
