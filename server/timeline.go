package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/tasks"
)

// maxTimelineEvents bounds the events one timeline reads.
const maxTimelineEvents = 10000

// submitSlack is how long before a task's SubmittedAt its timeline looks
// for its events.
const submitSlack = 5 * time.Second

// Timeline is a task's life as phases, from its events
// (GET /v1/tasks/{id}/timeline).
type Timeline struct {
	TaskID string `json:"task_id"`
	Module string `json:"module"`
	State  string `json:"state"`
	// Start is the first phase's start, End the last one's end (the
	// time of the answer for a task not finished); DurationMs between.
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	DurationMs float64   `json:"duration_ms"`
	Phases     []Phase   `json:"phases"`
	// Partial says the oldest of the task's events were trimmed from the
	// log (retention): the phases start later than the task did.
	Partial bool `json:"partial,omitempty"`
}

// Phase is one stretch of a task's life. Instants (submitted,
// checkpoint, the outcome) last 0.
type Phase struct {
	// Phase is submitted, scheduled, queued, waiting (for a worker
	// token), running (a slice of a run, up to a preemption or its end),
	// preempted, checkpoint, retrying (the backoff after a failed
	// attempt, with its error), or the outcome: succeeded, failed, dead,
	// canceled.
	Phase      string    `json:"phase"`
	Start      time.Time `json:"start"`
	DurationMs float64   `json:"duration_ms"`
	Attempt    int       `json:"attempt,omitempty"`
	// ErrorCode and ErrorMessage: why the attempt failed (retrying and
	// the failed outcomes); Reason: "interrupted" for an attempt whose
	// process died.
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	Reason       string `json:"reason,omitempty"`
	// CheckpointBytes is a checkpoint's size; FuelUsed what a finished
	// attempt used.
	CheckpointBytes int   `json:"checkpoint_bytes,omitempty"`
	FuelUsed        int64 `json:"fuel_used,omitempty"`
}

// taskTimeline is GET /v1/tasks/{id}/timeline.
func (s *Server) taskTimeline(c echo.Context) error {
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	log, err := s.eventLog()
	if err != nil {
		return err
	}
	rec, err := svc.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	evs, partial, err := taskEvents(log, rec)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, buildTimeline(rec, evs, partial, time.Now()))
}

// taskEvents reads rec's events from the log, from its submission on;
// partial if the oldest were trimmed.
func taskEvents(log EventLog, rec tasks.Record) ([]*events.Event, bool, error) {
	f := &events.Filter{Task: rec.ID}
	// From a little before the submission: a task created inside a
	// larger write (a workflow's step) has its events stamped when that
	// write was queued, which may precede the record's own time.
	after, err := log.EventSeqBefore(rec.SubmittedAt.Add(-submitSlack))
	partial := false
	if ge := (*events.GoneError)(nil); errors.As(err, &ge) {
		oldest, _, err := log.EventBounds()
		if err != nil {
			return nil, false, err
		}
		after, partial = max(oldest, 1)-1, true
	} else if err != nil {
		return nil, false, err
	}
	evs, err := log.ReadEvents(after, f, maxTimelineEvents)
	return evs, partial, err
}

// buildTimeline turns a task's events, oldest first, into phases. A
// finished attempt's events carry its run time (from its worker token to
// its end): the wait for the token is what is before it.
func buildTimeline(rec tasks.Record, evs []*events.Event, partial bool, now time.Time) Timeline {
	t := Timeline{TaskID: rec.ID, Module: rec.Module, State: string(rec.State), Partial: partial, Phases: []Phase{}}
	open := -1 // the index of the phase the next event ends
	push := func(p Phase) {
		t.Phases = append(t.Phases, p)
		open = len(t.Phases) - 1
	}
	instant := func(p Phase) { t.Phases = append(t.Phases, p) }
	end := func(at time.Time) {
		if open >= 0 {
			t.Phases[open].DurationMs = ms(at.Sub(t.Phases[open].Start))
			open = -1
		}
	}
	for i, e := range evs {
		d := e.Data
		switch e.Type {
		case events.TaskSubmitted:
			end(e.Time)
			instant(Phase{Phase: "submitted", Start: e.Time})
		case events.TaskScheduled:
			end(e.Time)
			push(Phase{Phase: "scheduled", Start: e.Time})
		case events.TaskQueued:
			end(e.Time)
			push(Phase{Phase: "queued", Start: e.Time, Attempt: e.Attempt})
		case events.TaskStarted:
			end(e.Time)
			push(Phase{Phase: "waiting", Start: e.Time, Attempt: e.Attempt})
			// The token came when the attempt's end, less its run time,
			// says; until then it waited.
			if token, ok := tokenTime(rec, e, evs[i+1:]); ok {
				if token.After(e.Time) {
					end(token)
					push(Phase{Phase: "running", Start: token, Attempt: e.Attempt})
				} else {
					t.Phases[open].Phase = "running"
				}
			}
		case events.TaskPreempted:
			if open >= 0 && t.Phases[open].Phase == "waiting" { // it ran before this
				t.Phases[open].Phase = "running"
			}
			end(e.Time)
			push(Phase{Phase: "preempted", Start: e.Time, Attempt: e.Attempt})
		case events.TaskResumed:
			end(e.Time)
			push(Phase{Phase: "running", Start: e.Time, Attempt: e.Attempt})
		case events.TaskCheckpointed:
			instant(Phase{Phase: "checkpoint", Start: e.Time, Attempt: e.Attempt, CheckpointBytes: d.CheckpointBytes})
		case events.TaskRetrying:
			end(e.Time)
			push(Phase{Phase: "retrying", Start: e.Time, Attempt: e.Attempt, ErrorCode: d.ErrorCode, ErrorMessage: d.ErrorMessage,
				Reason: d.Reason, FuelUsed: d.FuelUsed})
		case events.TaskSucceeded, events.TaskFailed, events.TaskDead, events.TaskCanceled:
			end(e.Time)
			instant(Phase{Phase: e.Type[len("task."):], Start: e.Time, Attempt: e.Attempt, ErrorCode: d.ErrorCode,
				ErrorMessage: d.ErrorMessage, FuelUsed: d.FuelUsed})
		}
	}
	last := now
	if rec.State.Terminal() && len(t.Phases) > 0 {
		last = t.Phases[len(t.Phases)-1].Start
	}
	end(last)
	if len(t.Phases) > 0 {
		t.Start, t.End = t.Phases[0].Start, last
		t.DurationMs = ms(last.Sub(t.Start))
	}
	return t
}

// tokenTime is when the attempt that started with e got its worker
// token, if known: the record's StartedAt for its last attempt, else the
// attempt's end less its run time (in whole milliseconds, so no later
// than the attempt's first event after e).
func tokenTime(rec tasks.Record, e *events.Event, rest []*events.Event) (time.Time, bool) {
	last := attemptEnd(rest)
	if last == nil {
		return time.Time{}, false
	}
	if e.Attempt == rec.Attempts && !rec.StartedAt.IsZero() && !rec.StartedAt.Before(e.Time) {
		return rec.StartedAt, true
	}
	if last.Data.DurationMs <= 0 {
		return time.Time{}, false
	}
	token := last.Time.Add(-time.Duration(last.Data.DurationMs) * time.Millisecond)
	for _, x := range rest {
		if x == last || x.Time.After(token) {
			break
		}
		if x.Type == events.TaskCheckpointed || x.Type == events.TaskPreempted || x.Type == events.TaskProgress {
			token = x.Time
			break
		}
	}
	return token, true
}

// attemptEnd returns the event that ends the attempt begun before evs:
// its outcome, or a retry; nil if it has not ended.
func attemptEnd(evs []*events.Event) *events.Event {
	for _, e := range evs {
		switch e.Type {
		case events.TaskSucceeded, events.TaskFailed, events.TaskDead, events.TaskCanceled, events.TaskRetrying:
			return e
		case events.TaskStarted:
			return nil
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
