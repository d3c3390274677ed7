// Package server is NexusTask's HTTP API v1 on Echo. It is the only package
// that imports Echo. Every handler reports failures through the one error
// table in errors.go, so each error has one status and one code.
package server

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

// DefaultMaxInputBytes caps the body of an invoke request.
const DefaultMaxInputBytes = 16 << 20

// Config configures a Server.
type Config struct {
	// MaxModuleBytes caps upload bodies; 0 means modules.DefaultMaxBytes.
	MaxModuleBytes int64
	// MaxInputBytes caps invoke bodies; 0 means DefaultMaxInputBytes.
	MaxInputBytes int64
	// Logger receives the server's log, with a line per request that
	// RequestLog selects; nil means slog.Default().
	Logger *slog.Logger
	// RequestLog says which requests are logged; the zero value is
	// RequestLogAll.
	RequestLog RequestLog
	// Tasks, if set, serves /v1/tasks; nil answers those with 503.
	Tasks *tasks.Service
	// Schedules, if set, serves /v1/schedules; nil answers 503 there. The
	// caller closes it.
	Schedules *schedule.Manager
	// Cache, if set, holds results of invocations with cache_ttl; nil runs
	// them without caching. The caller closes it after the server drains.
	Cache *cache.Cache
	// BodyTimeout and MinBodyRate bound how long a request body may take
	// to arrive: BodyTimeout from the end of the headers, extended by one
	// second for every MinBodyRate bytes received, and never more than
	// BodyTimeout without a byte. A body that misses its deadline is
	// answered 408 request_timeout and the connection closed. 0 means
	// DefaultBodyTimeout and DefaultMinBodyRate; a negative BodyTimeout
	// sets no deadline, a negative MinBodyRate makes BodyTimeout a flat
	// bound on the whole body. Headers are the http.Server's to bound
	// (ReadHeaderTimeout).
	BodyTimeout time.Duration
	MinBodyRate int64
}

// Server serves the HTTP API. It is safe for concurrent use.
type Server struct {
	cfg     Config
	e       *echo.Echo
	h       http.Handler // e under the body deadline
	reg     *modules.Registry
	rt      *host.Runtime
	exec    *executor.Executor
	metrics *metrics.Metrics
	log     *slog.Logger
	ready   atomic.Bool
	runner  *tasks.Runner // the run path of invokes, shared with durable tasks
	cache   *cache.Cache  // nil: no result cache
}

// New returns a Server over the registry and runtime, running every task
// through exec. It is not ready (GET /readyz answers 503) until
// SetReady(true). The caller closes exec after the server has drained.
func New(reg *modules.Registry, rt *host.Runtime, exec *executor.Executor, m *metrics.Metrics, cfg Config) *Server {
	if cfg.MaxModuleBytes <= 0 {
		cfg.MaxModuleBytes = modules.DefaultMaxBytes
	}
	if cfg.MaxInputBytes <= 0 {
		cfg.MaxInputBytes = DefaultMaxInputBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.MinBodyRate == 0 {
		cfg.MinBodyRate = DefaultMinBodyRate
	}
	s := &Server{cfg: cfg, reg: reg, rt: rt, exec: exec, metrics: m, log: cfg.Logger}
	s.runner = &tasks.Runner{Registry: reg, Runtime: rt, Exec: exec, InFlight: m.InFlight}
	if cfg.Cache != nil {
		s.cache = cfg.Cache
		s.wireCache(cfg.Cache)
	}
	s.wireInstances()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.logRequests)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(m.Handler()))
	// Route-level rather than group middleware: Echo answers every method
	// of a group with middleware, which would turn 405s into 404s.
	ready := s.requireReady
	e.GET("/v1/modules", s.listModules, ready)
	e.POST("/v1/modules/:name", s.putModule, ready)
	e.GET("/v1/modules/:name", s.getModule, ready)
	e.DELETE("/v1/modules/:name", s.deleteModule, ready)
	e.POST("/v1/modules/:name/invoke", s.invoke, ready)
	e.POST("/v1/tasks", s.submitTask, ready)
	e.GET("/v1/tasks", s.listTasks, ready)
	e.GET("/v1/tasks/:id", s.getTask, ready)
	e.GET("/v1/tasks/:id/result", s.taskResult, ready)
	e.POST("/v1/tasks/results", s.taskResults, ready)
	e.POST("/v1/tasks/:id/cancel", s.cancelTask, ready)
	e.POST("/v1/tasks/:id/retry", s.retryTask, ready)
	e.POST("/v1/schedules", s.createSchedule, ready)
	e.GET("/v1/schedules", s.listSchedules, ready)
	e.GET("/v1/schedules/:name", s.getSchedule, ready)
	e.DELETE("/v1/schedules/:name", s.deleteSchedule, ready)
	e.POST("/v1/schedules/:name/pause", s.pauseSchedule, ready)
	e.POST("/v1/schedules/:name/resume", s.resumeSchedule, ready)
	e.DELETE("/v1/cache", s.invalidateCache, ready)
	e.GET("/v1/cache/stats", s.cacheStats, ready)
	s.e = e
	s.h = s.limitBodies(e)
	return s
}

// Handler returns the http.Handler serving the API.
func (s *Server) Handler() http.Handler { return s.h }

// wireInstances exposes the runtime's instance figures on /metrics.
func (s *Server) wireInstances() {
	err := s.metrics.RegisterInstances(func() metrics.InstanceStats {
		st := s.rt.InstanceStats()
		return metrics.InstanceStats{
			Fresh: st.Fresh, Restored: st.Restored, Ready: st.Ready,
			WarmNew: st.WarmNew, WarmReused: st.WarmReused, WarmDiscarded: st.WarmDiscarded,
			ReadyBytes: st.ReadyBytes,
		}
	})
	if err != nil {
		s.log.Warn("instance metrics not registered", "err", err)
	}
}

// SetReady sets what GET /readyz reports.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// requireReady answers 503 unavailable until the registry is loaded, so no
// request sees a half-loaded state.
func (s *Server) requireReady(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.ready.Load() {
			return errUnavailable
		}
		return next(c)
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if !s.ready.Load() {
		return errUnavailable
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
