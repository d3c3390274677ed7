package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/events"
)

// Limits of GET /v1/events.
const (
	// defaultEventLimit is the page size of the JSON form without ?limit=.
	defaultEventLimit = 100
	// maxEventLimit caps ?limit=.
	maxEventLimit = 1000
	// sseBuffer is the events held for one SSE client before it is moved
	// to replay from the log.
	sseBuffer = 64
)

// DefaultHeartbeat is how often an SSE stream sends a comment line
// (Config.Heartbeat), so that proxies keep it open and a client sees a
// dead connection.
const DefaultHeartbeat = 15 * time.Second

// EventLog is what the server reads of the event log (internal/store's
// DB implements it).
type EventLog interface {
	events.Log
	// EventBounds returns the oldest event kept and the newest committed.
	EventBounds() (oldest, last uint64, err error)
	// EventSeqBefore returns the cursor after which the events at or
	// after t begin, or an *events.GoneError.
	EventSeqBefore(t time.Time) (uint64, error)
}

// eventLog returns the log, or errUnavailable if the server has none.
func (s *Server) eventLog() (EventLog, error) {
	if s.cfg.EventLog == nil || s.cfg.Bus == nil {
		return nil, fmt.Errorf("%w: events are not enabled", errUnavailable)
	}
	return s.cfg.EventLog, nil
}

// publish appends e, stamped with the time, to the event log, if the
// server has one; a failure is logged, not answered: the change it
// reports is done.
func (s *Server) publish(e *events.Event) {
	if s.cfg.EventLog == nil {
		return
	}
	e.Time, e.Node = time.Now().UTC(), s.cfg.Node
	if err := s.cfg.EventLog.AppendEvents(e); err != nil {
		s.log.Error("events: publishing", "type", e.Type, "err", err)
	}
}

// CloseStreams ends every SSE stream, now and from now on: a graceful
// shutdown (http.Server.RegisterOnShutdown) would otherwise wait for
// them, as they are never idle.
func (s *Server) CloseStreams() { s.stopStreams() }

// eventFilter reads the filter of a GET /v1/events.
func eventFilter(c echo.Context) (events.Filter, error) {
	q := c.QueryParams()
	f := events.Filter{Module: q.Get("module"), Task: q.Get("task"), Tag: q.Get("tag"), Category: q.Get("category"), Workflow: q.Get("workflow")}
	for _, t := range q["type"] {
		for _, x := range strings.Split(t, ",") {
			if x = strings.TrimSpace(x); x != "" {
				f.Types = append(f.Types, x)
			}
		}
	}
	if err := f.Validate(); err != nil {
		return f, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	return f, nil
}

// eventCursor returns the sequence number to read after: Last-Event-ID,
// ?after=, or ?since=; given says whether one was given.
func eventCursor(c echo.Context, log EventLog) (after uint64, given bool, err error) {
	id := c.Request().Header.Get("Last-Event-ID")
	if id == "" {
		id = c.QueryParam("after")
	}
	if id != "" {
		n, err := events.ParseID(id)
		if err != nil {
			return 0, false, fmt.Errorf("%w: %v", errBadRequest, err)
		}
		return n, true, nil
	}
	if since := c.QueryParam("since"); since != "" {
		t, err := time.Parse(time.RFC3339Nano, since)
		if err != nil {
			return 0, false, fmt.Errorf("%w: since=%q is not an RFC 3339 time", errBadRequest, since)
		}
		n, err := log.EventSeqBefore(t)
		return n, true, err
	}
	return 0, false, nil
}

// listEvents is GET /v1/events: an SSE stream for a client that accepts
// text/event-stream, a page of JSON otherwise.
func (s *Server) listEvents(c echo.Context) error {
	log, err := s.eventLog()
	if err != nil {
		return err
	}
	f, err := eventFilter(c)
	if err != nil {
		return err
	}
	after, given, err := eventCursor(c, log)
	if err != nil {
		return err
	}
	if strings.Contains(c.Request().Header.Get("Accept"), "text/event-stream") {
		return s.streamEvents(c, log, f, after, given)
	}
	limit := defaultEventLimit
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxEventLimit {
			return fmt.Errorf("%w: limit=%q must be 1..%d", errBadRequest, l, maxEventLimit)
		}
		limit = n
	}
	if !given {
		oldest, _, err := log.EventBounds()
		if err != nil {
			return err
		}
		after = oldest - 1
	}
	evs, err := log.ReadEvents(after, &f, limit)
	if err != nil {
		return err
	}
	next := events.FormatID(after)
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i, e := range evs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.JSON())
		next = e.ID
	}
	fmt.Fprintf(&b, `],"next":%q}`, next)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, []byte(b.String()))
}

// streamEvents serves the SSE form: the events after `after` from the
// log (none if no cursor was given), then the live ones, with a comment
// heartbeat every Heartbeat.
func (s *Server) streamEvents(c echo.Context, log EventLog, f events.Filter, after uint64, given bool) error {
	if !given {
		last, err := log.LastEventSeq()
		if err != nil {
			return err
		}
		after = last
	} else if _, err := log.ReadEvents(after, &f, 1); err != nil {
		return err // a cursor already gone answers 410 before the stream
	}
	sub := s.cfg.Bus.Subscribe(f, after, sseBuffer)
	defer sub.Close()
	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(http.StatusOK)
	// net/http buffers the response (4 KiB): no buffer of our own, which
	// idle streams would each hold.
	w := c.Response()
	flush := func() error {
		w.Flush()
		return reqErr(c)
	}
	if _, err := io.WriteString(w, ": connected\n\n"); err != nil || flush() != nil {
		return nil
	}
	var line []byte
	reqCtx, stop := context.WithCancel(c.Request().Context())
	defer stop()
	defer context.AfterFunc(s.streams, stop)()
	for reqCtx.Err() == nil {
		ctx, cancel := context.WithTimeout(reqCtx, s.cfg.Heartbeat)
		for {
			e, err := sub.Next(ctx)
			if err != nil {
				var gone *events.GoneError
				if errors.As(err, &gone) {
					// The client fell behind the retention: say so, and
					// end the stream; it resumes with a 410.
					fmt.Fprintf(w, "event: gone\ndata: {\"oldest\":%q}\n\n", gone.Oldest)
					flush()
					cancel()
					return nil
				}
				if ctx.Err() == nil { // the log failed
					s.log.Error("events: stream ended", "err", err)
					cancel()
					return nil
				}
				break
			}
			line = append(line[:0], "id: "...)
			line = append(line, e.ID...)
			line = append(line, "\nevent: "...)
			line = append(line, e.Type...)
			line = append(line, "\ndata: "...)
			line = append(line, e.JSON()...)
			line = append(line, "\n\n"...)
			if _, err := w.Write(line); err != nil {
				cancel()
				return nil
			}
			if sub.Buffered() == 0 && flush() != nil {
				cancel()
				return nil
			}
		}
		cancel()
		if reqCtx.Err() != nil {
			break
		}
		if _, err := io.WriteString(w, ": heartbeat\n\n"); err != nil || flush() != nil {
			break
		}
	}
	return nil
}

// reqErr returns the error of c's request context: non-nil once the
// client has gone.
func reqErr(c echo.Context) error { return c.Request().Context().Err() }
