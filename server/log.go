package server

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
)

// logRequests writes one structured line per request after it is served.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			s.handleError(err, c)
		}
		res := c.Response()
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		if ctx := c.Request().Context(); s.log.Enabled(ctx, level) {
			// The record goes to the handler directly: Logger.LogAttrs would
			// also capture the caller's program counter, which only a
			// handler with AddSource reads, and allocate the attribute slice.
			r := slog.NewRecord(time.Now(), level, "request", 0)
			r.AddAttrs(
				slog.String("method", c.Request().Method),
				slog.String("path", c.Request().URL.Path),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("duration", time.Since(start)),
			)
			if id := res.Header().Get(HeaderTaskID); id != "" {
				r.AddAttrs(slog.String("task_id", id))
			}
			_ = s.log.Handler().Handle(ctx, r)
		}
		return nil
	}
}
