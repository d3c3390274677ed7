package server

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
)

// RequestLog says which requests get a line in the server's log.
type RequestLog int

const (
	// RequestLogAll logs every request. It is the default.
	RequestLogAll RequestLog = iota
	// RequestLogErrors logs the requests answered with status 400 or more:
	// failed tasks, refused input, server errors. At tens of thousands of
	// invocations per second a line per request is a large log; the
	// metrics count every request either way.
	RequestLogErrors
	// RequestLogOff logs none.
	RequestLogOff
)

// ParseRequestLog reads "all", "errors" or "off".
func ParseRequestLog(s string) (RequestLog, error) {
	switch s {
	case "errors":
		return RequestLogErrors, nil
	case "all":
		return RequestLogAll, nil
	case "off":
		return RequestLogOff, nil
	}
	return 0, fmt.Errorf("request log must be all, errors or off, not %q", s)
}

// String returns the name ParseRequestLog reads.
func (r RequestLog) String() string {
	switch r {
	case RequestLogErrors:
		return "errors"
	case RequestLogOff:
		return "off"
	}
	return "all"
}

// logRequests writes one structured line per request after it is served,
// for the requests Config.RequestLog selects: at level error for a status
// of 500 or more, info otherwise.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		which := RequestLog(s.requestLog.Load())
		start := time.Now()
		err := next(c)
		if err != nil {
			s.handleError(err, c)
		}
		res := c.Response()
		if which == RequestLogOff || which == RequestLogErrors && res.Status < 400 {
			return nil
		}
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		if ctx := c.Request().Context(); s.log.Enabled(ctx, level) {
			// The record goes to the handler directly: Logger.LogAttrs would
			// also capture the caller's program counter, which only a
			// handler with AddSource reads, and allocate the attribute slice.
			// One clock read for the record's time and the duration.
			end := time.Now()
			r := slog.NewRecord(end, level, "request", 0)
			r.AddAttrs(
				slog.String("method", c.Request().Method),
				slog.String("path", c.Request().URL.Path),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("duration", end.Sub(start)),
			)
			if id := res.Header().Get(HeaderTaskID); id != "" {
				r.AddAttrs(slog.String("task_id", id))
			}
			_ = s.log.Handler().Handle(ctx, r)
		}
		return nil
	}
}
