package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/errkind"
)

// maxTimelineChildren bounds the tasks of one map step a workflow
// timeline draws.
const maxTimelineChildren = 100

// WorkflowTimeline is a workflow's steps, each with its task's timeline
// (GET /v1/workflows/{id}/timeline).
type WorkflowTimeline struct {
	WorkflowID string `json:"workflow_id"`
	State      string `json:"state"`
	// Start is the earliest step phase, End the latest; DurationMs
	// between.
	Start      time.Time      `json:"start,omitzero"`
	End        time.Time      `json:"end,omitzero"`
	DurationMs float64        `json:"duration_ms"`
	Steps      []StepTimeline `json:"steps"`
}

// StepTimeline is one step of a WorkflowTimeline: its task's timeline
// (none before the step's task is created) and, for a map step, those of
// its tasks (the first 100).
type StepTimeline struct {
	Step     string     `json:"step"`
	State    string     `json:"state"`
	TaskID   string     `json:"task_id,omitempty"`
	Timeline *Timeline  `json:"timeline,omitempty"`
	Children []Timeline `json:"children,omitempty"`
}

// workflowTimeline is GET /v1/workflows/{id}/timeline.
func (s *Server) workflowTimeline(c echo.Context) error {
	eng, err := s.workflowEngine()
	if err != nil {
		return err
	}
	svc, err := s.taskService()
	if err != nil {
		return err
	}
	log, err := s.eventLog()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v, err := eng.Get(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	now := time.Now()
	one := func(id string) (*Timeline, error) {
		rec, err := svc.Get(ctx, id)
		if errors.Is(err, errkind.ErrTaskNotFound) {
			return nil, nil // collected after its retention
		}
		if err != nil {
			return nil, err
		}
		evs, partial, err := taskEvents(log, rec)
		if err != nil {
			return nil, err
		}
		t := buildTimeline(rec, evs, partial, now)
		return &t, nil
	}
	out := WorkflowTimeline{WorkflowID: v.ID, State: v.State, Steps: make([]StepTimeline, 0, len(v.Steps))}
	for _, st := range v.Steps {
		step := StepTimeline{Step: st.ID, State: st.State, TaskID: st.TaskID}
		if st.TaskID != "" {
			if step.Timeline, err = one(st.TaskID); err != nil {
				return err
			}
			out.span(step.Timeline)
		}
		for i, id := range st.Children {
			if i == maxTimelineChildren {
				break
			}
			t, err := one(id)
			if err != nil {
				return err
			}
			if t != nil {
				step.Children = append(step.Children, *t)
				out.span(t)
			}
		}
		out.Steps = append(out.Steps, step)
	}
	if !out.Start.IsZero() {
		out.DurationMs = ms(out.End.Sub(out.Start))
	}
	return c.JSON(http.StatusOK, out)
}

// span widens w's start and end to t's.
func (w *WorkflowTimeline) span(t *Timeline) {
	if t == nil || len(t.Phases) == 0 {
		return
	}
	if w.Start.IsZero() || t.Start.Before(w.Start) {
		w.Start = t.Start
	}
	if t.End.After(w.End) {
		w.End = t.End
	}
}
