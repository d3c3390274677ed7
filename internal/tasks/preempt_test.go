package tasks_test

import (
	"testing"

	"github.com/nexustask/nexus/internal/tasks"
)

// TestPreemptionRecorded fills every worker token with slow low-priority
// tasks, then submits a high-priority one: it preempts a low task, which is
// suspended mid-execution, resumes and still counts once; the record of
// the preempted task counts the preemption and carries it as an event.
func TestPreemptionRecorded(t *testing.T) {
	t.Parallel()
	e := open(t, t.TempDir(), tasks.Config{})
	var lows []string
	for i := range e.exec.Stats().Tokens {
		r := e.submit(tasks.Spec{Module: "tt", Input: []byte("slow" + string(rune('a'+i))), Priority: ptr(1)})
		lows = append(lows, r.ID)
	}
	// Wait until every low task holds a token: a record says running
	// from the hand-over to the executor, before the token.
	for range lows {
		e.awaitStarted()
	}
	high := e.submit(tasks.Spec{Module: "tt", Input: []byte("n"), Priority: ptr(9)})
	if r := e.wait(high.ID); r.State != tasks.Succeeded {
		t.Fatalf("high task: %s %s", r.State, r.ErrorMessage)
	}
	preemptions := 0
	for i, id := range lows {
		r := e.wait(id)
		if r.State != tasks.Succeeded || string(r.Output) != "1" {
			t.Fatalf("low task %d: %s %q %s", i, r.State, r.Output, r.ErrorMessage)
		}
		if len(r.Events) != r.Preemptions {
			t.Fatalf("low task %d: %d preemptions, events %v", i, r.Preemptions, r.Events)
		}
		for _, ev := range r.Events {
			if ev.Kind != tasks.EventPreempted || ev.Attempt != 1 || ev.At.Before(r.StartedAt) || ev.At.After(r.FinishedAt) {
				t.Fatalf("low task %d: event %+v (started %v, finished %v)", i, ev, r.StartedAt, r.FinishedAt)
			}
		}
		preemptions += r.Preemptions
	}
	if preemptions == 0 {
		t.Fatal("no low task was preempted")
	}
	for i := range lows {
		if n := e.kvCount("low" + string(rune('a'+i))); n != 1 {
			t.Fatalf("low task %d counted %d times", i, n)
		}
	}
}
