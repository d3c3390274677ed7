package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/schedule"
)

// RunSchedules runs the contract suite of schedule.Store against stores
// made by open.
func RunSchedules(t *testing.T, open func(t *testing.T) schedule.Store) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, schedule.Store)
	}{
		{"CreateAndRead", testScheduleCreateAndRead},
		{"CreateExisting", testScheduleCreateExisting},
		{"NotFound", testScheduleNotFound},
		{"SaveAndRuns", testScheduleSaveAndRuns},
		{"KeepRuns", testScheduleKeepRuns},
		{"SaveMany", testScheduleSaveMany},
		{"Delete", testScheduleDelete},
		{"Concurrent", testScheduleConcurrent},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

func newSchedule(name string) schedule.Schedule {
	return schedule.Schedule{
		Spec: schedule.Spec{Name: name, Every: "1m", Task: json.RawMessage(`{"module":"mod"}`),
			Overlap: schedule.OverlapAllow, CatchUp: schedule.CatchUpNone},
		CreatedAt: at(0), NextDue: at(60),
	}
}

func run(due int, outcome schedule.Outcome) schedule.Run {
	r := schedule.Run{Due: at(due), Outcome: outcome}
	if outcome == schedule.OutcomeSubmitted {
		fired := at(due + 1)
		r.FiredAt, r.TaskID = &fired, taskID(due)
	}
	return r
}

func wantSchedule(t *testing.T, st schedule.Store, want schedule.Schedule) {
	t.Helper()
	got, err := st.Schedule(want.Name)
	must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Schedule(%s):\n got %+v\nwant %+v", want.Name, got, want)
	}
}

func wantRuns(t *testing.T, st schedule.Store, name string, limit int, want ...schedule.Run) {
	t.Helper()
	got, err := st.Runs(name, limit)
	must(t, err)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Runs(%s, %d):\n got %+v\nwant %+v", name, limit, got, want)
	}
}

func testScheduleCreateAndRead(t *testing.T, st schedule.Store) {
	all, err := st.Schedules()
	must(t, err)
	if len(all) != 0 {
		t.Fatalf("Schedules of an empty store = %v", all)
	}
	for _, name := range []string{"b", "a", "c"} {
		must(t, st.CreateSchedule(newSchedule(name)))
	}
	wantSchedule(t, st, newSchedule("a"))
	all, err = st.Schedules()
	must(t, err)
	var names []string
	for _, s := range all {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Fatalf("Schedules = %v, want by name", names)
	}
	wantRuns(t, st, "a", 10)
}

func testScheduleCreateExisting(t *testing.T, st schedule.Store) {
	must(t, st.CreateSchedule(newSchedule("a")))
	other := newSchedule("a")
	other.Every = "1h"
	wantErr(t, st.CreateSchedule(other), schedule.ErrExists)
	wantSchedule(t, st, newSchedule("a"))
}

func testScheduleNotFound(t *testing.T, st schedule.Store) {
	_, err := st.Schedule("none")
	wantErr(t, err, schedule.ErrNotFound)
	wantErr(t, st.DeleteSchedule("none"), schedule.ErrNotFound)
	_, err = st.Runs("none", 10)
	wantErr(t, err, schedule.ErrNotFound)
}

func testScheduleSaveAndRuns(t *testing.T, st schedule.Store) {
	s := newSchedule("a")
	must(t, st.CreateSchedule(s))
	firing := at(120)
	s.NextDue, s.Firing, s.Active = at(180), &firing, []string{taskID(1)}
	r1, r2 := run(60, schedule.OutcomeSubmitted), run(120, schedule.OutcomeSkipped)
	must(t, st.SaveSchedules([]schedule.Save{{Schedule: s, Runs: []schedule.Run{r1, r2}}}, 10))
	wantSchedule(t, st, s)
	wantRuns(t, st, "a", 10, r2, r1)
	wantRuns(t, st, "a", 1, r2)
	// A run is keyed by its due time: saving it again replaces it.
	r1b := run(60, schedule.OutcomeFailed)
	r1b.Error = "module gone"
	s.Firing = nil
	must(t, st.SaveSchedules([]schedule.Save{{Schedule: s, Runs: []schedule.Run{r1b}}}, 10))
	wantSchedule(t, st, s)
	wantRuns(t, st, "a", 10, r2, r1b)
	// A save without runs keeps them.
	s.Paused = true
	must(t, st.SaveSchedules([]schedule.Save{{Schedule: s}}, 10))
	wantSchedule(t, st, s)
	wantRuns(t, st, "a", 10, r2, r1b)
}

func testScheduleKeepRuns(t *testing.T, st schedule.Store) {
	s := newSchedule("a")
	must(t, st.CreateSchedule(s))
	var all []schedule.Run
	for i := range 7 {
		r := run(60*(i+1), schedule.OutcomeMissed)
		all = append(all, r)
		must(t, st.SaveSchedules([]schedule.Save{{Schedule: s, Runs: []schedule.Run{r}}}, 3))
	}
	wantRuns(t, st, "a", 10, all[6], all[5], all[4])
}

func testScheduleSaveMany(t *testing.T, st schedule.Store) {
	a, b := newSchedule("a"), newSchedule("b")
	must(t, st.CreateSchedule(a))
	must(t, st.CreateSchedule(b))
	a.NextDue, b.NextDue = at(120), at(240)
	ra, rb := run(60, schedule.OutcomeSubmitted), run(180, schedule.OutcomeSubmitted)
	must(t, st.SaveSchedules([]schedule.Save{{Schedule: a, Runs: []schedule.Run{ra}}, {Schedule: b, Runs: []schedule.Run{rb}}}, 10))
	wantSchedule(t, st, a)
	wantSchedule(t, st, b)
	wantRuns(t, st, "a", 10, ra)
	wantRuns(t, st, "b", 10, rb)
}

func testScheduleDelete(t *testing.T, st schedule.Store) {
	s := newSchedule("a")
	must(t, st.CreateSchedule(s))
	must(t, st.CreateSchedule(newSchedule("b")))
	must(t, st.SaveSchedules([]schedule.Save{{Schedule: s, Runs: []schedule.Run{run(60, schedule.OutcomeMissed)}}}, 10))
	must(t, st.DeleteSchedule("a"))
	_, err := st.Schedule("a")
	wantErr(t, err, schedule.ErrNotFound)
	wantErr(t, st.DeleteSchedule("a"), schedule.ErrNotFound)
	all, err := st.Schedules()
	must(t, err)
	if len(all) != 1 || all[0].Name != "b" {
		t.Fatalf("Schedules after deleting a = %v", all)
	}
	// A schedule made again under the name starts without runs.
	must(t, st.CreateSchedule(s))
	wantRuns(t, st, "a", 10)
}

func testScheduleConcurrent(t *testing.T, st schedule.Store) {
	const n = 8
	errs := make([]error, n)
	hammer(n, func(i int) { errs[i] = st.CreateSchedule(newSchedule("same")) })
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, schedule.ErrExists):
			t.Fatalf("CreateSchedule: %v", err)
		}
	}
	if created != 1 {
		t.Fatalf("%d creations of one name succeeded, want 1", created)
	}
	hammer(n, func(i int) {
		s := newSchedule(fmt.Sprintf("s%d", i))
		if err := st.CreateSchedule(s); err != nil {
			t.Error(err)
			return
		}
		for j := range 5 {
			r := run(60*(j+1), schedule.OutcomeMissed)
			s.NextDue = r.Due.Add(time.Minute)
			if err := st.SaveSchedules([]schedule.Save{{Schedule: s, Runs: []schedule.Run{r}}}, 3); err != nil {
				t.Error(err)
			}
		}
	})
	for i := range n {
		runs, err := st.Runs(fmt.Sprintf("s%d", i), 10)
		must(t, err)
		if len(runs) != 3 || !runs[0].Due.Equal(at(300)) {
			t.Fatalf("s%d: %d runs, newest %v", i, len(runs), runs)
		}
	}
}
