package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/store"
)

func TestCreateListGetPauseResumeDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testConfig())
	ctx := context.Background()
	b := e.create(t, schedule.Spec{Name: "b", Cron: "0 3 * * *", Timezone: "Europe/Paris"})
	if b.Overlap != schedule.OverlapSkip || b.CatchUp != schedule.CatchUpOne || b.Paused {
		t.Fatalf("defaults: %+v", b)
	}
	if h := b.NextDue.In(time.UTC).Hour(); h != 1 && h != 2 {
		t.Fatalf("next due %s is not 03:00 in Paris", b.NextDue)
	}
	e.create(t, schedule.Spec{Name: "a", Every: "1h", Paused: true, Overlap: schedule.OverlapAllow})

	_, err := e.m.Create(schedule.Spec{Name: "a", Every: "1m", Task: json.RawMessage(`{"module":"x"}`)})
	if !errors.Is(err, schedule.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := e.m.Create(schedule.Spec{Name: "c", Cron: "* * *", Task: json.RawMessage(`{}`)}); !errors.Is(err, schedule.ErrInvalid) {
		t.Fatalf("invalid: %v", err)
	}
	list, err := e.m.List()
	if err != nil || len(list) != 2 || list[0].Name != "a" || list[1].Name != "b" || !list[0].Paused {
		t.Fatalf("list: %+v %v", list, err)
	}
	s, runs, err := e.m.Get(ctx, "b", 10)
	if err != nil || s.Cron != "0 3 * * *" || s.Timezone != "Europe/Paris" || len(runs) != 0 {
		t.Fatalf("get: %+v %v %v", s, runs, err)
	}

	before := time.Now()
	if s, err := e.m.Resume("a"); err != nil || s.Paused || !s.NextDue.After(before) {
		t.Fatalf("resume: %+v %v", s, err)
	}
	if s, err := e.m.Pause("a"); err != nil || !s.Paused {
		t.Fatalf("pause: %+v %v", s, err)
	}
	if s, _ := e.db.Schedule("a"); !s.Paused {
		t.Fatalf("pause not stored: %+v", s)
	}

	for _, op := range []func() error{
		func() error { _, _, err := e.m.Get(ctx, "nope", 1); return err },
		func() error { _, err := e.m.Pause("nope"); return err },
		func() error { _, err := e.m.Resume("nope"); return err },
		func() error { return e.m.Delete("nope") },
	} {
		if err := op(); !errors.Is(err, schedule.ErrNotFound) {
			t.Fatalf("unknown schedule: %v", err)
		}
	}
	if err := e.m.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.m.Get(ctx, "a", 1); !errors.Is(err, schedule.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	e.create(t, schedule.Spec{Name: "a", Every: "1m"}) // the name is free again
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		code string
	}{
		{schedule.ErrNotFound, errkind.CodeScheduleNotFound},
		{schedule.ErrExists, errkind.CodeConflict},
		{schedule.ErrInvalid, errkind.CodeInvalidRequest},
		{schedule.ErrClosed, errkind.CodeUnavailable},
	} {
		if code := errkind.Code(tc.err); code != tc.code {
			t.Errorf("%v: %s, want %s", tc.err, code, tc.code)
		}
	}
}

// checkConsecutive fails t unless calls fire consecutive due times, step
// apart, each once, with the schedule's idempotency key, at or after due.
func checkConsecutive(t *testing.T, name string, calls []call, step time.Duration) {
	t.Helper()
	for i, c := range calls {
		if c.key != schedule.IdempotencyKey(name, c.due) {
			t.Fatalf("call %d: key %s for due %s", i, c.key, c.due)
		}
		if c.at.Before(c.due) {
			t.Fatalf("call %d: submitted at %s, before due %s", i, c.at, c.due)
		}
		if i > 0 && c.due.Sub(calls[i-1].due) != step {
			t.Fatalf("call %d: due %s after %s: want a step of %s", i, c.due, calls[i-1].due, step)
		}
	}
}

func TestFiresEachDueTimeOnce(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		e := newEnv(t, testConfig())
		e.sub.allDone = true
		e.create(t, schedule.Spec{Name: "tick", Every: "20ms"})
		waitFor(t, "8 tasks", func() bool { return len(e.sub.created()) >= 8 })
		calls := e.sub.created()
		checkConsecutive(t, "tick", calls, 20*time.Millisecond)
		if n := len(e.sub.allCalls()); n != len(calls) {
			t.Fatalf("%d submissions for %d tasks", n, len(calls))
		}
		runs := e.runs(t, "tick")
		for i, r := range runs[:min(len(runs), len(calls))] {
			if !r.Due.Equal(calls[i].due) || r.TaskID != calls[i].id || r.Outcome != schedule.OutcomeFinished || r.FiredAt.Before(r.Due) {
				t.Fatalf("run %d: %+v, call %+v", i, r, calls[i])
			}
		}
	})
}

func TestOverlapSkip(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		e := newEnv(t, testConfig())
		e.create(t, schedule.Spec{Name: "s", Every: "20ms", Overlap: schedule.OverlapSkip})
		waitFor(t, "3 skipped", func() bool { return countOutcome(e.runs(t, "s"), schedule.OutcomeSkipped) >= 3 })
		if n := len(e.sub.created()); n != 1 {
			t.Fatalf("%d tasks while the first runs, want 1", n)
		}
		if r := e.runs(t, "s")[0]; r.Outcome != schedule.OutcomeRunning {
			t.Fatalf("first run: %+v", r)
		}
		e.sub.finish()
		waitFor(t, "a second task", func() bool { return len(e.sub.created()) == 2 })
		runs := e.runs(t, "s")
		second := e.sub.created()[1]
		for _, r := range runs {
			if r.Outcome == schedule.OutcomeSkipped && !r.Due.Before(second.due) {
				t.Fatalf("skipped %s after the second task's due %s", r.Due, second.due)
			}
		}
	})
}

func TestOverlapBufferOne(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		e := newEnv(t, testConfig())
		e.create(t, schedule.Spec{Name: "b", Every: "20ms", Overlap: schedule.OverlapBufferOne})
		waitFor(t, "2 skipped", func() bool { return countOutcome(e.runs(t, "b"), schedule.OutcomeSkipped) >= 2 })
		first := e.sub.created()
		if len(first) != 1 {
			t.Fatalf("%d tasks while the first runs, want 1", len(first))
		}
		finished := time.Now()
		e.sub.finish()
		waitFor(t, "the buffered task", func() bool { return len(e.sub.created()) >= 2 })
		buffered := e.sub.created()[1]
		if want := first[0].due.Add(20 * time.Millisecond); !buffered.due.Equal(want) {
			t.Fatalf("buffered due %s, want the one after the first, %s", buffered.due, want)
		}
		if buffered.at.Before(finished) || buffered.key != schedule.IdempotencyKey("b", buffered.due) {
			t.Fatalf("buffered call %+v: before the first finished (%s) or wrong key", buffered, finished)
		}
		for _, r := range e.runs(t, "b") {
			if r.Outcome == schedule.OutcomeSkipped && r.Due.Equal(buffered.due) {
				t.Fatalf("the buffered due time is also recorded skipped")
			}
		}
	})
}

// TestBufferOneFiresOnFinish checks that a buffered due time fires as soon
// as the running task finishes (Submitter.Wait), not at the schedule's
// next due time or the runner's fallback check.
func TestBufferOneFiresOnFinish(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		e := newEnv(t, testConfig())
		e.create(t, schedule.Spec{Name: "s", Every: "700ms", Overlap: schedule.OverlapBufferOne})
		waitFor(t, "a due time buffered", func() bool {
			s, _, err := e.m.Get(context.Background(), "s", 1)
			return err == nil && s.Buffered != nil
		})
		finished := time.Now()
		e.sub.finish()
		waitFor(t, "the buffered task", func() bool { return len(e.sub.created()) >= 2 })
		if d := e.sub.created()[1].at.Sub(finished); d > 300*time.Millisecond {
			t.Fatalf("buffered task submitted %s after the first finished", d)
		}
	})
}

func TestOverlapAllow(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		e := newEnv(t, testConfig())
		e.create(t, schedule.Spec{Name: "a", Every: "20ms", Overlap: schedule.OverlapAllow})
		waitFor(t, "4 overlapping tasks", func() bool { return len(e.sub.created()) >= 4 })
		checkConsecutive(t, "a", e.sub.created(), 20*time.Millisecond)
		if n := countOutcome(e.runs(t, "a"), schedule.OutcomeSkipped); n != 0 {
			t.Fatalf("%d skipped", n)
		}
	})
}

func countOutcome(runs []schedule.Run, o schedule.Outcome) int {
	n := 0
	for _, r := range runs {
		if r.Outcome == o {
			n++
		}
	}
	return n
}

// putStored stops e, stores s directly (as a previous server would have
// left it) and starts e again.
func putStored(t *testing.T, e *env, s schedule.Schedule) {
	t.Helper()
	e.close()
	db, err := store.Open(e.dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSchedule(s); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e.open(t)
}

func TestCatchUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy     schedule.CatchUp
		maxCatchUp int
		missed     int // of the 6 due times the server was down for
	}{
		{schedule.CatchUpNone, 0, 6},
		{schedule.CatchUpOne, 0, 5},
		{schedule.CatchUpAll, 0, 0},
		{schedule.CatchUpAll, 2, 4},
	}
	for _, tc := range tests {
		t.Run(string(tc.policy), func(t *testing.T) {
			inBubble(t, func(t *testing.T) {
				cfg := testConfig()
				cfg.MaxCatchUp = tc.maxCatchUp
				e := newEnv(t, cfg)
				e.sub.allDone = true
				time.Sleep(time.Minute) // the bubble's clock starts on the hour
				hour := time.Now().UTC().Truncate(time.Hour)
				putStored(t, e, schedule.Schedule{
					Spec: schedule.Spec{Name: "h", Every: "1h", Task: json.RawMessage(`{"module":"m"}`),
						CatchUp: tc.policy, Overlap: schedule.OverlapAllow},
					NextDue: hour.Add(-5 * time.Hour),
				})
				if time.Now().UTC().Truncate(time.Hour) != hour {
					t.Skip("the hour changed during the test")
				}
				fired := 6 - tc.missed
				waitFor(t, "catch-up", func() bool { return len(e.runs(t, "h")) == 6 && len(e.sub.created()) == fired })
				runs := e.runs(t, "h")
				for i, r := range runs {
					want := schedule.OutcomeMissed
					if i >= tc.missed {
						want = schedule.OutcomeFinished
					}
					if !r.Due.Equal(hour.Add(time.Duration(i-5)*time.Hour)) || r.Outcome != want {
						t.Fatalf("run %d: %+v, want outcome %s", i, r, want)
					}
				}
				s, _, _ := e.m.Get(context.Background(), "h", 0)
				if !s.NextDue.Equal(hour.Add(time.Hour)) {
					t.Fatalf("next due %s", s.NextDue)
				}
			})
		})
	}
}

// A firing decided before a crash is completed on restart even though the
// catch-up policy would not fire it; if the task was already submitted,
// the resubmission returns it and creates nothing.
func TestFiringCompletedAfterCrash(t *testing.T) {
	t.Parallel()
	for _, submitted := range []bool{false, true} {
		name := map[bool]string{false: "not-submitted", true: "already-submitted"}[submitted]
		t.Run(name, func(t *testing.T) {
			inBubble(t, func(t *testing.T) {
				e := newEnv(t, testConfig())
				time.Sleep(time.Minute) // the bubble's clock starts on the hour
				hour := time.Now().UTC().Truncate(time.Hour)
				firing := hour.Add(-2 * time.Hour)
				if submitted {
					if err := e.db.Set(taskTable, schedule.IdempotencyKey("h", firing), []byte("task-before-crash"), 1<<30); err != nil {
						t.Fatal(err)
					}
				}
				putStored(t, e, schedule.Schedule{
					Spec: schedule.Spec{Name: "h", Every: "1h", Task: json.RawMessage(`{"module":"m"}`),
						CatchUp: schedule.CatchUpNone, Overlap: schedule.OverlapAllow},
					Firing:  &firing,
					NextDue: hour.Add(-time.Hour),
				})
				waitFor(t, "recovery", func() bool { return len(e.runs(t, "h")) == 3 })
				runs := e.runs(t, "h")
				calls := e.sub.allCalls()
				if len(calls) != 1 || calls[0].key != schedule.IdempotencyKey("h", firing) || calls[0].created == submitted {
					t.Fatalf("calls: %+v", calls)
				}
				if !runs[0].Due.Equal(firing) || runs[0].TaskID != calls[0].id || runs[0].Outcome == schedule.OutcomeMissed {
					t.Fatalf("interrupted run: %+v", runs[0])
				}
				if submitted && runs[0].TaskID != "task-before-crash" {
					t.Fatalf("task id %s, want the one submitted before the crash", runs[0].TaskID)
				}
				if runs[1].Outcome != schedule.OutcomeMissed || runs[2].Outcome != schedule.OutcomeMissed {
					t.Fatalf("catch-up none: %+v", runs[1:])
				}
			})
		})
	}
}

// Stopping the Manager and starting another on the same file goes on
// where the first stopped: each due time fires once, including those of
// the downtime (catch-up all).
func TestRestartInProcess(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		e := newEnv(t, testConfig())
		e.sub.allDone = true
		e.create(t, schedule.Spec{Name: "r", Every: "20ms", CatchUp: schedule.CatchUpAll, Overlap: schedule.OverlapAllow})
		waitFor(t, "3 tasks", func() bool { return len(e.sub.created()) >= 3 })
		e.close()
		down := time.Now()
		time.Sleep(100 * time.Millisecond) // fake time: the downtime passes at once
		e.open(t)
		waitFor(t, "a task due after the restart", func() bool {
			c := e.sub.created()
			return c[len(c)-1].due.After(down.Add(150 * time.Millisecond))
		})
		calls := e.sub.created()
		checkConsecutive(t, "r", calls, 20*time.Millisecond)
		if n := len(e.sub.allCalls()); n != len(calls) {
			t.Fatalf("%d submissions for %d tasks", n, len(calls))
		}
	})
}

func TestSubmitErrors(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.Retryable = func(err error) bool { return errors.Is(err, errTransient) }
		e := newEnv(t, cfg)
		e.sub.allDone = true
		e.sub.fail = []error{errTransient, errTransient, errors.New("module gone")}
		e.create(t, schedule.Spec{Name: "e", Every: "20ms", Overlap: schedule.OverlapAllow, CatchUp: schedule.CatchUpAll})
		waitFor(t, "2 tasks", func() bool { return len(e.sub.created()) >= 2 })
		runs := e.runs(t, "e")
		if runs[0].Outcome != schedule.OutcomeFailed || runs[0].Error != "module gone" || runs[0].TaskID != "" {
			t.Fatalf("first due time (2 transient errors, then a permanent one): %+v", runs[0])
		}
		if runs[1].Outcome != schedule.OutcomeFinished || !runs[1].Due.Equal(runs[0].Due.Add(20*time.Millisecond)) {
			t.Fatalf("second due time: %+v", runs[1])
		}
	})
}

func TestPauseStopsFiring(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		e := newEnv(t, testConfig())
		e.sub.allDone = true
		e.create(t, schedule.Spec{Name: "p", Every: "10ms", Paused: true, Overlap: schedule.OverlapAllow})
		time.Sleep(50 * time.Millisecond) // fake time: five paused intervals
		if n := len(e.sub.allCalls()); n != 0 {
			t.Fatalf("a paused schedule fired %d times", n)
		}
		resumed := time.Now()
		if _, err := e.m.Resume("p"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "2 tasks", func() bool { return len(e.sub.created()) >= 2 })
		if c := e.sub.created()[0]; !c.due.After(resumed) {
			t.Fatalf("due %s fired though it passed while paused (resumed %s)", c.due, resumed)
		}
		if _, err := e.m.Pause("p"); err != nil {
			t.Fatal(err)
		}
		n := len(e.sub.allCalls())
		time.Sleep(50 * time.Millisecond) // fake time: five paused intervals
		if m := len(e.sub.allCalls()); m != n {
			t.Fatalf("%d submissions after pause", m-n)
		}
		if err := e.m.Delete("p"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Runs("p", 10); !errors.Is(err, schedule.ErrNotFound) {
			t.Fatalf("runs after delete: %v", err)
		}
	})
}
