package tasks_test

import (
	"testing"

	"github.com/nexustask/nexus/internal/tasks"
)

func TestStateCanBecome(t *testing.T) {
	allowed := map[[2]tasks.State]bool{}
	for _, step := range [][2]tasks.State{
		{"", tasks.Scheduled}, {"", tasks.Queued},
		{tasks.Scheduled, tasks.Queued}, {tasks.Scheduled, tasks.Canceled},
		{tasks.Queued, tasks.Running}, {tasks.Queued, tasks.Canceled},
		{tasks.Running, tasks.Succeeded}, {tasks.Running, tasks.Failed},
		{tasks.Running, tasks.Dead}, {tasks.Running, tasks.Canceled},
		{tasks.Running, tasks.Scheduled}, {tasks.Running, tasks.Queued},
		{tasks.Failed, tasks.Queued}, {tasks.Dead, tasks.Queued}, {tasks.Canceled, tasks.Queued},
	} {
		allowed[step] = true
	}
	from := append([]tasks.State{""}, tasks.States...)
	for _, s := range from {
		for _, to := range tasks.States {
			want := s == to || allowed[[2]tasks.State{s, to}]
			if got := s.CanBecome(to); got != want {
				t.Errorf("%q.CanBecome(%q) = %v, want %v", s, to, got, want)
			}
		}
	}
}

func TestStateCanReach(t *testing.T) {
	for _, c := range []struct {
		from, to tasks.State
		want     bool
	}{
		{"", tasks.Succeeded, true}, // created, started and finished in one group
		{tasks.Queued, tasks.Succeeded, true},
		{tasks.Failed, tasks.Running, true}, // retried by hand, then claimed
		{tasks.Succeeded, tasks.Succeeded, true},
		{tasks.Succeeded, tasks.Queued, false},
		{tasks.Succeeded, tasks.Running, false},
		{tasks.Queued, "", false},
	} {
		if got := c.from.CanReach(c.to); got != c.want {
			t.Errorf("%q.CanReach(%q) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

func TestRecordRevision(t *testing.T) {
	r := tasks.Record{State: tasks.Running, Attempts: 3, Owner: "a"}
	if got, want := r.Revision(), (tasks.Revision{State: tasks.Running, Attempts: 3, Owner: "a"}); got != want {
		t.Fatalf("Revision = %+v, want %+v", got, want)
	}
}

func TestRecordMoveToRefusesAStepOutsideTheTable(t *testing.T) {
	r := tasks.Record{ID: "x", State: tasks.Queued}
	tasks.MoveTo(&r, tasks.Running)
	if r.State != tasks.Running {
		t.Fatalf("state = %s, want running", r.State)
	}
	r.State = tasks.Succeeded
	defer func() {
		if recover() == nil {
			t.Fatal("succeeded → queued did not panic")
		}
	}()
	tasks.MoveTo(&r, tasks.Queued)
}
