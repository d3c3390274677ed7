package store_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/schedule"
)

func TestSchedulesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	firing := base.Add(-time.Minute)
	s := schedule.Schedule{
		Spec: schedule.Spec{Name: "nightly", Cron: "0 3 * * *", Timezone: "Europe/Paris",
			Task: json.RawMessage(`{"module":"echo","input":"hi"}`), Overlap: schedule.OverlapBufferOne,
			CatchUp: schedule.CatchUpAll},
		CreatedAt: base.Add(-time.Hour),
		NextDue:   base,
		Firing:    &firing,
		Active:    []string{"t1", "t2"},
	}
	if err := db.CreateSchedule(s); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSchedule(s); !errors.Is(err, schedule.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	other := schedule.Schedule{Spec: schedule.Spec{Name: "a-first", Every: "1m0s", Task: json.RawMessage(`{}`)}}
	if err := db.CreateSchedule(other); err != nil {
		t.Fatal(err)
	}

	// Five runs saved in two transactions, keeping three.
	var runs []schedule.Run
	for i := range 5 {
		fired := base.Add(time.Duration(i)*time.Minute + time.Millisecond)
		runs = append(runs, schedule.Run{Due: base.Add(time.Duration(i) * time.Minute), FiredAt: &fired,
			TaskID: "task" + string(rune('0'+i)), Outcome: schedule.OutcomeSubmitted})
	}
	runs[1] = schedule.Run{Due: runs[1].Due, Outcome: schedule.OutcomeSkipped}
	s.Firing, s.NextDue = nil, base.Add(5*time.Minute)
	if err := db.SaveSchedules([]schedule.Save{{Schedule: s, Runs: runs[:2]}, {Schedule: other}}, 3); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveSchedules([]schedule.Save{{Schedule: s, Runs: runs[2:]}}, 3); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = open(t, dir)
	defer db.Close()
	got, err := db.Schedule("nightly")
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Fatalf("schedule:\n got %+v %v\nwant %+v", got, err, s)
	}
	all, err := db.Schedules()
	if err != nil || len(all) != 2 || all[0].Name != "a-first" || all[1].Name != "nightly" {
		t.Fatalf("schedules: %+v %v", all, err)
	}
	gotRuns, err := db.Runs("nightly", 10)
	want := []schedule.Run{runs[4], runs[3], runs[2]}
	if err != nil || !reflect.DeepEqual(gotRuns, want) {
		t.Fatalf("runs:\n got %+v %v\nwant %+v", gotRuns, err, want)
	}
	if r, _ := db.Runs("nightly", 1); len(r) != 1 || r[0].TaskID != "task4" {
		t.Fatalf("newest run: %+v", r)
	}
	if r, err := db.Runs("a-first", 10); err != nil || len(r) != 0 {
		t.Fatalf("no runs: %+v %v", r, err)
	}

	if err := db.DeleteSchedule("nightly"); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		db.DeleteSchedule("nightly"),
		func() error { _, err := db.Schedule("nightly"); return err }(),
		func() error { _, err := db.Runs("nightly", 1); return err }(),
	} {
		if !errors.Is(err, schedule.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
	}
	// A new schedule of the same name starts without the old runs.
	if err := db.CreateSchedule(s); err != nil {
		t.Fatal(err)
	}
	if r, _ := db.Runs("nightly", 10); len(r) != 0 {
		t.Fatalf("old runs survived delete: %+v", r)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}
