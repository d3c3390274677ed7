package server

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"
)

// guard is the innermost middleware (one, as Echo wraps each request in
// every middleware): it refuses new work while unhealthy (admit), and
// contains a panic in a handler to its request, which is answered 500
// internal, counted in nexus_panics_total{where="handler"} and logged
// with its stack; the server keeps serving.
func (s *Server) guard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		if err := s.admit(c); err != nil {
			return err
		}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // the connection's to abort, as net/http does
			}
			s.metrics.Panic("handler")
			s.log.Error("panic in handler", "method", c.Request().Method, "path", c.Request().URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", v)
		}()
		return next(c)
	}
}

// wireAbandoned exposes the runtime's abandoned host calls on /metrics.
func (s *Server) wireAbandoned() {
	if err := s.metrics.RegisterAbandoned(s.rt.AbandonedCalls); err != nil {
		s.log.Warn("abandoned-call metrics not registered", "err", err)
	}
}
