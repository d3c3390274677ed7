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
		if s.log.Enabled(c.Request().Context(), level) {
			attrs := []slog.Attr{
				slog.String("method", c.Request().Method),
				slog.String("path", c.Request().URL.Path),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("duration", time.Since(start)),
			}
			if id := res.Header().Get(HeaderTaskID); id != "" {
				attrs = append(attrs, slog.String("task_id", id))
			}
			s.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
		}
		return nil
	}
}
