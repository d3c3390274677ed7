package jetstream

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nexustask/nexus/internal/schedule"
)

var _ schedule.Store = (*Store)(nil)

// Schedules: sch.<name> holds the JSON schedule.Schedule, run.<name>.<due>
// each JSON schedule.Run, due being its Unix ns in 20 digits so that
// subjects sort by due time.

func (s *Store) schedSubj(name string) string { return s.subj("sch", token(name)) }
func (s *Store) runsSubj(name string) string  { return s.subj("run", token(name)) }
func (s *Store) runSubj(name string, r schedule.Run) string {
	return s.runsSubj(name) + fmt.Sprintf(".%020d", uint64(r.Due.UnixNano()))
}

// CreateSchedule implements schedule.Store.
func (s *Store) CreateSchedule(sc schedule.Schedule) error {
	return s.update(func(x *txn) error {
		e, err := x.get(s.schedSubj(sc.Name))
		if err != nil {
			return err
		}
		if e.exists {
			return fmt.Errorf("%w: %q", schedule.ErrExists, sc.Name)
		}
		return x.putJSON(s.schedSubj(sc.Name), sc)
	})
}

// SaveSchedules implements schedule.Store: one batch for every schedule,
// its runs and the runs pruned past keep.
func (s *Store) SaveSchedules(saves []schedule.Save, keep int) error {
	err := s.update(func(x *txn) error {
		for _, sv := range saves {
			name := sv.Schedule.Name
			if err := x.putJSON(s.schedSubj(name), sv.Schedule); err != nil {
				return err
			}
			if len(sv.Runs) == 0 {
				continue
			}
			subjs, err := s.subjects(s.runsSubj(name))
			if err != nil {
				return err
			}
			for _, r := range sv.Runs {
				subj := s.runSubj(name, r)
				if err := x.putJSON(subj, r); err != nil {
					return err
				}
				if !slices.Contains(subjs, subj) {
					subjs = append(subjs, subj)
				}
			}
			// Prune the oldest live runs past keep.
			slices.Sort(subjs)
			var live []string
			for _, subj := range subjs {
				e, err := x.get(subj)
				if err != nil {
					return err
				}
				if e.exists {
					live = append(live, subj)
				}
			}
			for _, subj := range live[:max(len(live)-keep, 0)] {
				if err := x.del(subj); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jetstream: save schedules: %w", err)
	}
	return nil
}

// DeleteSchedule implements schedule.Store.
func (s *Store) DeleteSchedule(name string) error {
	return s.update(func(x *txn) error {
		e, err := x.get(s.schedSubj(name))
		if err != nil {
			return err
		}
		if !e.exists {
			return fmt.Errorf("%w: %q", schedule.ErrNotFound, name)
		}
		subjs, err := s.subjects(s.runsSubj(name))
		if err != nil {
			return err
		}
		for _, subj := range append(subjs, s.schedSubj(name)) {
			if err := x.del(subj); err != nil {
				return err
			}
		}
		return nil
	})
}

// Schedule implements schedule.Store.
func (s *Store) Schedule(name string) (schedule.Schedule, error) {
	var sc schedule.Schedule
	x := &txn{s: s, ents: map[string]*entry{}}
	found, err := x.getJSON(s.schedSubj(name), &sc)
	if err != nil {
		return sc, err
	}
	if !found {
		return sc, fmt.Errorf("%w: %q", schedule.ErrNotFound, name)
	}
	return sc, nil
}

// Schedules implements schedule.Store.
func (s *Store) Schedules() ([]schedule.Schedule, error) {
	var all []schedule.Schedule
	err := s.scan(s.subj("sch"), func(subj string, data []byte) error {
		var sc schedule.Schedule
		if err := json.Unmarshal(data, &sc); err != nil {
			return fmt.Errorf("jetstream: decode %s: %w", subj, err)
		}
		all = append(all, sc)
		return nil
	})
	slices.SortFunc(all, func(a, b schedule.Schedule) int { return strings.Compare(a.Name, b.Name) })
	return all, err
}

// Runs implements schedule.Store.
func (s *Store) Runs(name string, limit int) ([]schedule.Run, error) {
	if _, err := s.Schedule(name); err != nil {
		return nil, err
	}
	var runs []schedule.Run
	err := s.scan(s.runsSubj(name), func(subj string, data []byte) error {
		var r schedule.Run
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("jetstream: decode %s: %w", subj, err)
		}
		runs = append(runs, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(runs)
	return runs[:min(len(runs), max(limit, 0))], nil
}
