package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/health"
)

// newWork are the routes that take new work: while a critical health
// check fails (Config.Health) they answer 503 unavailable with
// Retry-After, and everything else (reads, results, cancels, deletes)
// serves as usual, so nothing accepted is lost.
var newWork = map[string]bool{ // POST routes
	"/v1/modules/:name":        true,
	"/v1/modules/:name/invoke": true,
	"/v1/tasks":                true,
	"/v1/tasks/:id/retry":      true,
	"/v1/schedules":            true,
	"/v1/bundles/:name":        true,
}

// admit refuses new work (a POST of newWork) while Config.Health's
// critical checks fail.
func (s *Server) admit(c echo.Context) error {
	if c.Request().Method == http.MethodPost && newWork[c.Path()] {
		if err := s.cfg.Health.Refusal(); err != nil {
			s.metrics.Refused()
			return err
		}
	}
	return nil
}

// health is GET /v1/health: every check with its status, latency and
// last error, and the overall status. It answers 200 while the server
// takes work (ok or degraded), 503 with the same body and Retry-After
// while a critical check fails.
func (s *Server) health(c echo.Context) error {
	if s.cfg.Health == nil {
		return fmt.Errorf("%w: this server runs no health checks", errUnavailable)
	}
	r := s.cfg.Health.Report()
	if r.Status == health.StatusFailing {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(errcode.RetryAfter(errUnavailable)/time.Second)))
		return c.JSON(http.StatusServiceUnavailable, r)
	}
	return c.JSON(http.StatusOK, r)
}
