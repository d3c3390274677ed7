package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Event is one state change (GET /v1/events, webhook deliveries).
type Event struct {
	// ID is the event's cursor: ids sort as strings in publication order.
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Time     time.Time `json:"time"`
	TaskID   string    `json:"task_id,omitempty"`
	Module   string    `json:"module,omitempty"`
	Version  int       `json:"version,omitempty"`
	State    string    `json:"state,omitempty"`
	Attempt  int       `json:"attempt,omitempty"`
	Priority int       `json:"priority,omitempty"`
	Category string    `json:"category,omitempty"`
	Tags     []string  `json:"tags,omitempty"`
	Node     string    `json:"node,omitempty"`
	// Workflow is the workflow of workflow.* and batch.* events.
	Workflow string `json:"workflow_id,omitempty"`
	// Data are the type's details (error_code, error_message, fuel_used,
	// duration_ms, done, total, run_at, schedule, due, reason, …).
	Data map[string]any `json:"data"`
}

// Terminal reports whether e ends its task: task.succeeded, task.failed,
// task.dead or task.canceled.
func (e *Event) Terminal() bool {
	switch e.Type {
	case "task.succeeded", "task.failed", "task.dead", "task.canceled":
		return true
	}
	return false
}

// EventFilter selects events. Zero fields match everything.
type EventFilter struct {
	// Types are event types, exact or a prefix such as "task.*".
	Types    []string
	Module   string
	Task     string
	Tag      string
	Category string
	// Workflow selects one workflow's events.
	Workflow string
	// After is a cursor (an event id): the events after it. Since, if
	// After is empty, starts at the first event at or after it.
	After string
	Since time.Time
}

func (f EventFilter) query() url.Values {
	q := url.Values{}
	for _, t := range f.Types {
		q.Add("type", t)
	}
	for k, v := range map[string]string{"module": f.Module, "task": f.Task, "tag": f.Tag, "category": f.Category, "workflow": f.Workflow, "after": f.After} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.After == "" && !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	return q
}

// EventPage is the JSON answer of GET /v1/events.
type EventPage struct {
	Events []Event `json:"events"`
	// Next is the cursor to ask after for the following page.
	Next string `json:"next"`
}

// Events returns up to limit (1..1000; 0: the server's 100) events
// matching f (GET /v1/events). A cursor older than the events kept is an
// *Error with CodeGone whose Oldest says where the log now starts.
func (c *Client) Events(ctx context.Context, f EventFilter, limit int) (*EventPage, error) {
	q := f.query()
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out EventPage
	if _, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/events", query: q.Encode()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EventStream is an open SSE stream of events (FollowEvents). Next is
// for one goroutine; Close may be called from any.
type EventStream struct {
	body io.ReadCloser
	r    *bufio.Reader
	last string
}

// FollowEvents opens GET /v1/events as Server-Sent Events: the events
// after f.After (or f.Since; neither: from now on), then the live ones.
func (c *Client) FollowEvents(ctx context.Context, f EventFilter) (*EventStream, error) {
	u := c.base + "/v1/events"
	q := f.query()
	q.Del("after")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range c.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Accept", "text/event-stream")
	if f.After != "" {
		req.Header.Set("Last-Event-ID", f.After)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		data, _ := readAll(resp)
		return nil, newError(resp, data, c.decode)
	}
	return &EventStream{body: resp.Body, r: bufio.NewReaderSize(resp.Body, 64<<10), last: f.After}, nil
}

// Next returns the next event, skipping heartbeats. It returns io.EOF
// when the server ends the stream, and an *Error with CodeGone if the
// stream fell behind the events kept.
func (s *EventStream) Next() (*Event, error) {
	var typ, id string
	var data []byte
	for {
		line, err := s.r.ReadSlice('\n')
		if err != nil {
			if err == bufio.ErrBufferFull {
				rest, err2 := s.r.ReadBytes('\n')
				line = append(append([]byte(nil), line...), rest...)
				err = err2
			}
			if err != nil {
				return nil, err
			}
		}
		l := strings.TrimRight(string(line), "\r\n")
		switch {
		case l == "":
			if data == nil {
				continue
			}
			if typ == "gone" {
				var g struct{ Oldest string }
				json.Unmarshal(data, &g)
				return nil, &Error{Status: http.StatusGone, Code: CodeGone, Oldest: g.Oldest,
					Message: fmt.Sprintf("events after %s were trimmed; the oldest kept is %s", s.last, g.Oldest)}
			}
			var e Event
			if err := json.Unmarshal(data, &e); err != nil {
				return nil, fmt.Errorf("client: event %s: %w", id, err)
			}
			s.last = e.ID
			return &e, nil
		case strings.HasPrefix(l, ":"):
		case strings.HasPrefix(l, "id:"):
			id = strings.TrimSpace(l[3:])
		case strings.HasPrefix(l, "event:"):
			typ = strings.TrimSpace(l[6:])
		case strings.HasPrefix(l, "data:"):
			data = append(data, strings.TrimPrefix(l[5:], " ")...)
		}
	}
}

// Last returns the id of the last event Next returned: the cursor to
// resume from (EventFilter.After) after a broken stream.
func (s *EventStream) Last() string { return s.last }

// Close closes the stream.
func (s *EventStream) Close() error { return s.body.Close() }
