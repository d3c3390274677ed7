package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/telemetry"
)

// traceRequests is the middleware that makes a span of each request
// (Config.Tracer), a child of the request's traceparent if it has one,
// and passes it down in the request's context, where the run path's
// spans and a durable task's stored trace context find it. The span
// ends when the answer is written, errors included.
func (s *Server) traceRequests(next echo.HandlerFunc) echo.HandlerFunc {
	tr := s.cfg.Tracer
	return func(c echo.Context) error {
		route := c.Path()
		if route == "" {
			route = c.Request().URL.Path
		}
		ctx, span := tr.StartServer(c.Request(), route)
		c.SetRequest(c.Request().WithContext(ctx))
		err := next(c)
		if err != nil {
			s.handleError(err, c)
		}
		status := c.Response().Status
		span.Set(telemetry.Int("http.response.status_code", int64(status)))
		if id := c.Response().Header().Get(HeaderTaskID); id != "" {
			span.Set(telemetry.String("nexus.task.id", id))
		}
		if status >= http.StatusInternalServerError {
			span.Fail(err, errcode.Code(err))
		} else if err != nil {
			span.Set(telemetry.String("error.type", errcode.Code(err)))
		}
		span.End()
		return nil
	}
}

// traceParent returns the trace context a task submitted by c keeps: the
// request span's when tracing is on, else the request's traceparent and
// tracestate headers, so that a node that traces can join the trace later.
func traceParent(c echo.Context) (traceparent, tracestate string) {
	if tp, ts := telemetry.TraceParent(c.Request().Context()); tp != "" {
		return tp, ts
	}
	return telemetry.HeaderParent(c.Request().Header)
}
