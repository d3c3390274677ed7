package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
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
	sseBuffer = 256
)

// Heartbeat is how often an SSE stream sends a comment line when it has
// nothing else to send, so that proxies keep it open and a client sees
// a dead connection.
var Heartbeat = 15 * time.Second

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

// eventFilter reads the filter of a GET /v1/events.
func eventFilter(c echo.Context) (events.Filter, error) {
	q := c.QueryParams()
	f := events.Filter{Module: q.Get("module"), Task: q.Get("task"), Tag: q.Get("tag"), Category: q.Get("category")}
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
	w := bufio.NewWriterSize(c.Response(), 16<<10)
	flush := func() error {
		if err := w.Flush(); err != nil {
			return err
		}
		c.Response().Flush()
		return nil
	}
	if _, err := w.WriteString(": connected\n\n"); err != nil {
		return nil
	}
	if flush() != nil {
		return nil
	}
	reqCtx := c.Request().Context()
	for reqCtx.Err() == nil {
		ctx, cancel := context.WithTimeout(reqCtx, Heartbeat)
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
				break
			}
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: ", e.ID, e.Type)
			w.Write(e.JSON())
			w.WriteString("\n\n")
			if sub.Buffered() == 0 && flush() != nil {
				cancel()
				return nil
			}
		}
		cancel()
		if reqCtx.Err() != nil {
			break
		}
		w.WriteString(": heartbeat\n\n")
		if flush() != nil {
			break
		}
	}
	return nil
}
