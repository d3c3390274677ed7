package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/schedule"
)

// Limits of the schedule endpoints.
const (
	// maxScheduleBody caps a POST /v1/schedules body.
	maxScheduleBody = 1 << 20
	// defaultScheduleRuns is how many runs GET /v1/schedules/{name} shows
	// without ?runs=.
	defaultScheduleRuns = 20
	// maxScheduleRuns caps ?runs=.
	maxScheduleRuns = 1000
)

// scheduleView is a schedule as the API shows it.
type scheduleView struct {
	schedule.Spec
	CreatedAt time.Time `json:"created_at"`
	// NextDue is the next due time; absent while the schedule is paused,
	// as a paused schedule has none (resuming sets one past now).
	NextDue *time.Time `json:"next_due,omitempty"`
	// Buffered is a due time waiting for the running task (buffer_one).
	Buffered *time.Time `json:"buffered,omitempty"`
	// Running is how many fired runs are not yet known finished (tracked
	// for skip and buffer_one).
	Running int `json:"running"`
	// Runs are the last runs, newest first (GET of one schedule only).
	Runs []schedule.Run `json:"runs,omitempty"`
}

func scheduleViewOf(s schedule.Schedule) scheduleView {
	v := scheduleView{Spec: s.Spec, CreatedAt: s.CreatedAt, Buffered: s.Buffered, Running: len(s.Active)}
	if !s.Paused && !s.NextDue.IsZero() {
		v.NextDue = &s.NextDue
	}
	return v
}

// schedules returns the schedule manager, or errUnavailable if the server
// has none.
func (s *Server) schedules() (*schedule.Manager, error) {
	if s.cfg.Schedules == nil {
		return nil, fmt.Errorf("%w: schedules are not enabled", errUnavailable)
	}
	return s.cfg.Schedules, nil
}

// createSchedule is POST /v1/schedules: 201 with the new schedule.
func (s *Server) createSchedule(c echo.Context) error {
	m, err := s.schedules()
	if err != nil {
		return err
	}
	body, err := readBody(c, maxScheduleBody)
	if err != nil {
		return err
	}
	var spec schedule.Spec
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("%w: schedule body: %v", errBadRequest, err)
	}
	sc, err := m.Create(spec)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, scheduleViewOf(sc))
}

// listSchedules is GET /v1/schedules.
func (s *Server) listSchedules(c echo.Context) error {
	m, err := s.schedules()
	if err != nil {
		return err
	}
	all, err := m.List()
	if err != nil {
		return err
	}
	views := make([]scheduleView, len(all))
	for i, sc := range all {
		views[i] = scheduleViewOf(sc)
	}
	return c.JSON(http.StatusOK, map[string]any{"schedules": views})
}

// getSchedule is GET /v1/schedules/{name}?runs=N: the schedule and its
// last N runs (default 20).
func (s *Server) getSchedule(c echo.Context) error {
	m, err := s.schedules()
	if err != nil {
		return err
	}
	limit := defaultScheduleRuns
	if q := c.QueryParam("runs"); q != "" {
		if limit, err = strconv.Atoi(q); err != nil || limit < 0 || limit > maxScheduleRuns {
			return fmt.Errorf("%w: runs=%q must be an integer from 0 to %d", errBadRequest, q, maxScheduleRuns)
		}
	}
	sc, runs, err := m.Get(c.Request().Context(), c.Param("name"), limit)
	if err != nil {
		return err
	}
	v := scheduleViewOf(sc)
	v.Runs = runs
	return c.JSON(http.StatusOK, v)
}

// pauseSchedule is POST /v1/schedules/{name}/pause.
func (s *Server) pauseSchedule(c echo.Context) error {
	return s.setPaused(c, (*schedule.Manager).Pause)
}

// resumeSchedule is POST /v1/schedules/{name}/resume.
func (s *Server) resumeSchedule(c echo.Context) error {
	return s.setPaused(c, (*schedule.Manager).Resume)
}

func (s *Server) setPaused(c echo.Context, op func(*schedule.Manager, string) (schedule.Schedule, error)) error {
	m, err := s.schedules()
	if err != nil {
		return err
	}
	sc, err := op(m, c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, scheduleViewOf(sc))
}

// deleteSchedule is DELETE /v1/schedules/{name}: 204.
func (s *Server) deleteSchedule(c echo.Context) error {
	m, err := s.schedules()
	if err != nil {
		return err
	}
	if err := m.Delete(c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
