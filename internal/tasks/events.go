package tasks

import (
	"time"

	"github.com/nexustask/nexus/internal/events"
)

// ProgressEvery is the least time between two task.progress events of
// one task: progress reports in between are coalesced.
const ProgressEvery = 100 * time.Millisecond

// writeEvents gives w the events its change produces, from the state
// its Prev had to the one its Rec has: the one place that says which
// write publishes which event. Called on the writer's goroutine as the
// write is queued (committer.addEvents); the store commits the events
// with the change.
func (s *Service) writeEvents(w *Write) {
	if w.Delete || w.Rec == nil || len(w.Events) > 0 {
		return
	}
	r, p := w.Rec, w.Prev
	now := s.clock.Now()
	add := func(typ string, fill func(*events.Data)) {
		e := s.taskEvent(typ, r, now)
		if fill != nil {
			fill(&e.Data)
		}
		e.Encode()
		w.Events = append(w.Events, e)
	}
	runAt := func(d *events.Data) {
		if !r.RunAt.IsZero() {
			t := r.RunAt
			d.RunAt = &t
		}
	}
	failure := func(d *events.Data) {
		d.ErrorCode, d.ErrorMessage = r.ErrorCode, r.ErrorMessage
		finished(d, r)
	}
	if p == nil {
		add(events.TaskSubmitted, nil)
		if r.State == Scheduled {
			add(events.TaskScheduled, runAt)
		} else {
			add(events.TaskQueued, nil)
		}
		return
	}
	if p.State != r.State {
		switch r.State {
		case Queued:
			if p.State == Running { // its process died: requeued
				add(events.TaskRetrying, func(d *events.Data) { d.Reason = "interrupted" })
			}
			add(events.TaskQueued, nil)
		case Scheduled:
			if r.ErrorCode != "" {
				add(events.TaskRetrying, func(d *events.Data) { failure(d); runAt(d) })
			} else {
				add(events.TaskScheduled, runAt)
			}
		case Running:
			add(events.TaskStarted, nil)
		case Succeeded:
			add(events.TaskSucceeded, func(d *events.Data) { finished(d, r) })
		case Failed:
			add(events.TaskFailed, failure)
		case Dead:
			add(events.TaskDead, failure)
		case Canceled:
			add(events.TaskCanceled, failure)
		}
	}
	if w.Checkpoint != nil {
		add(events.TaskCheckpointed, func(d *events.Data) {
			d.CheckpointBytes = len(w.Checkpoint)
			d.Done, d.Total = r.Progress[0], r.Progress[1]
		})
	}
}

// finished fills the figures of a finished attempt.
func finished(d *events.Data, r *Record) {
	d.FuelUsed, d.Cache = r.FuelUsed, r.Cache
	d.Done, d.Total = r.Progress[0], r.Progress[1]
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
		d.DurationMs = r.FinishedAt.Sub(r.StartedAt).Milliseconds()
	}
}

// taskEvent returns an event of type typ about r.
func (s *Service) taskEvent(typ string, r *Record, now time.Time) *events.Event {
	return &events.Event{
		Type: typ, Time: now, TaskID: r.ID, Module: r.Module, Version: r.Version,
		State: string(r.State), Attempt: r.Attempts, Priority: r.Priority,
		Category: r.Category, Tags: r.Tags, Node: s.cfg.Node, TraceParent: r.TraceParent,
	}
}

// publishAlone commits an event that goes with no change of the record
// (progress, preemption) with the next group commit, without waiting.
func (s *Service) publishAlone(typ string, r *Record, fill func(*events.Data)) {
	if !s.cfg.Events {
		return
	}
	e := s.taskEvent(typ, r, s.clock.Now())
	if fill != nil {
		fill(&e.Data)
	}
	e.Encode()
	s.commit.commitAsync(Write{Events: []*events.Event{e}})
}

// progressEvents publishes a running task's progress reports, at most
// one per ProgressEvery; called on the attempt's goroutine.
type progressEvents struct {
	s    *Service
	rec  *Record
	last time.Time
}

func (p *progressEvents) report(done, total int64) {
	now := p.s.clock.Now()
	if !p.last.IsZero() && now.Sub(p.last) < ProgressEvery {
		return
	}
	p.last = now
	p.s.publishAlone(events.TaskProgress, p.rec, func(d *events.Data) { d.Done, d.Total = done, total })
}
