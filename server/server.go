// Package server is NexusTask's HTTP API v1 on Echo. It is the only package
// that imports Echo. Every handler reports failures through the one error
// table in errors.go, so each error has one status and one code.
package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/health"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/internal/telemetry"
	"github.com/nexustask/nexus/internal/ui"
	"github.com/nexustask/nexus/internal/workflow"
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
	// Workflows, if set, serves /v1/workflows, /v1/batches and
	// /v1/chains; nil answers those with 503.
	Workflows *workflow.Engine
	// Schedules, if set, serves /v1/schedules; nil answers 503 there. The
	// caller closes it.
	Schedules *schedule.Manager
	// Cache, if set, holds results of invocations with cache_ttl; nil runs
	// them without caching. The caller closes it after the server drains.
	// The server serves its statistics and invalidation, and counts the
	// invocations that bypass it.
	Cache *cache.Cache
	// Runner, if set, is the run path of invokes, shared with the task
	// service: it must hold the tasks.Cache middleware over Cache (New
	// panics otherwise) and tasks.Metrics, to count invocations. Nil: the
	// server builds its own with tasks.Cache(Cache) and tasks.Metrics on
	// its metrics.
	Runner *tasks.Runner
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
	// CompileTimeout bounds one upload's validation, instrumentation,
	// compilation and snapshot (400 invalid_module past it); 0 means
	// DefaultCompileTimeout, negative none. A client that disconnects
	// cancels its upload's compilation in any case.
	CompileTimeout time.Duration
	// MaxCompiles is how many uploads compile at once (0: GOMAXPROCS);
	// CompileQueue how many more may wait for a slot (0: 4 per slot,
	// negative: none). Past both, 503 unavailable with Retry-After.
	MaxCompiles  int
	CompileQueue int
	// Backup, if set, serves GET /v1/admin/backup: it writes a consistent
	// copy of the database to w (internal/store's DB.Backup).
	Backup func(w io.Writer) (int64, error)
	// Damaged, if set, reports the stored records refused as damaged
	// (internal/store's DB.Damaged count) on /readyz and /metrics.
	Damaged func() int
	// Bundles, if set, serves /v1/bundles and the mounts of invokes; nil
	// answers those with 503 and refuses mounts.
	Bundles *bundle.Store
	// Reconfigure, if set, serves GET and PATCH /v1/config; nil answers
	// those with 503.
	Reconfigure Reconfigurer
	// EventLog and Bus, if both set, serve GET /v1/events; nil answers
	// 503 there. Webhooks, if set, serves /v1/webhooks (503 otherwise).
	EventLog EventLog
	Bus      *events.Bus
	Webhooks *events.Deliverer
	// Node names this node in the events the server publishes
	// (cache.invalidated).
	Node string
	// Heartbeat is how often an idle SSE stream gets a comment line; 0
	// means DefaultHeartbeat.
	Heartbeat time.Duration
	// Tracer, if on, makes a span of every request, a child of its
	// traceparent, which the run path's spans and durable tasks join.
	Tracer *telemetry.Tracer
	// Health, if set, serves GET /v1/health, makes /healthz and /readyz
	// report its checks, and refuses new work while a critical one fails.
	Health *health.Checker
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
	compile *compileGate  // admission of uploads to compilation

	bundleMetrics *metrics.BundleMetrics // nil: no bundle store

	requestLog atomic.Int32 // a RequestLog; see SetRequestLog

	streams     context.Context // canceled by CloseStreams
	stopStreams context.CancelFunc

	// kvSeam, set only by tests (export_observe_test.go), replaces the
	// KV store of invokes, to inject faults; nil: the runtime's.
	kvSeam host.KV
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
	if cfg.CompileTimeout == 0 {
		cfg.CompileTimeout = DefaultCompileTimeout
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	s := &Server{cfg: cfg, reg: reg, rt: rt, exec: exec, metrics: m, log: cfg.Logger,
		compile: newCompileGate(cfg.MaxCompiles, cfg.CompileQueue)}
	s.streams, s.stopStreams = context.WithCancel(context.Background())
	s.runner = cfg.Runner
	s.requestLog.Store(int32(cfg.RequestLog))
	if s.runner == nil {
		s.runner = tasks.NewRunner(tasks.RunnerConfig{Registry: reg, Runtime: rt, Exec: exec, InFlight: m.InFlight},
			tasks.Cache(cfg.Cache), tasks.Metrics(m))
	} else if c, ok := s.runner.Cache(); !ok || c != cfg.Cache {
		// Invokes would not be cached, or counted in another cache's stats.
		panic("server: Config.Runner must be built with tasks.Cache(Config.Cache)")
	}
	if cfg.Cache != nil {
		s.cache = cfg.Cache
		s.wireCache(cfg.Cache)
	}
	s.wireInstances()
	s.wireAbandoned()
	s.wireDamage()
	s.wireBundles()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.logRequests)
	if cfg.Tracer.Enabled() {
		e.Use(s.traceRequests)
	}
	e.Use(s.guard)
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
	e.GET("/v1/tasks/:id/timeline", s.taskTimeline, ready)
	e.POST("/v1/tasks/results", s.taskResults, ready)
	e.POST("/v1/tasks/:id/cancel", s.cancelTask, ready)
	e.POST("/v1/tasks/:id/retry", s.retryTask, ready)
	e.POST("/v1/workflows", s.submitWorkflow, ready)
	e.GET("/v1/workflows", s.listWorkflows, ready)
	e.GET("/v1/workflows/:id", s.getWorkflow, ready)
	e.POST("/v1/workflows/:id/cancel", s.workflowOp((*workflow.Engine).Cancel), ready)
	e.POST("/v1/workflows/:id/retry", s.workflowOp((*workflow.Engine).Retry), ready)
	e.POST("/v1/workflows/:id/pause", s.workflowOp((*workflow.Engine).Pause), ready)
	e.POST("/v1/workflows/:id/resume", s.workflowOp((*workflow.Engine).Resume), ready)
	e.GET("/v1/workflows/:id/result", s.workflowResult, ready)
	e.GET("/v1/workflows/:id/graph", s.workflowGraph, ready)
	e.GET("/v1/workflows/:id/timeline", s.workflowTimeline, ready)
	e.POST("/v1/batches", s.submitBatchWorkflow, ready)
	e.POST("/v1/chains", s.submitChain, ready)
	e.POST("/v1/schedules", s.createSchedule, ready)
	e.GET("/v1/schedules", s.listSchedules, ready)
	e.GET("/v1/schedules/:name", s.getSchedule, ready)
	e.DELETE("/v1/schedules/:name", s.deleteSchedule, ready)
	e.POST("/v1/schedules/:name/pause", s.pauseSchedule, ready)
	e.POST("/v1/schedules/:name/resume", s.resumeSchedule, ready)
	e.POST("/v1/bundles/:name", s.putBundle, ready)
	e.GET("/v1/bundles", s.listBundles, ready)
	e.GET("/v1/bundles/:name", s.getBundle, ready)
	e.DELETE("/v1/bundles/:name", s.deleteBundle, ready)
	e.DELETE("/v1/cache", s.invalidateCache, ready)
	e.GET("/v1/cache/stats", s.cacheStats, ready)
	e.GET("/v1/admin/backup", s.backup)
	e.GET("/v1/config", s.getConfig, ready)
	e.PATCH("/v1/config", s.patchConfig, ready)
	e.GET("/v1/events", s.listEvents, ready)
	e.POST("/v1/webhooks", s.createWebhook, ready)
	e.GET("/v1/webhooks", s.listWebhooks, ready)
	e.GET("/v1/webhooks/:name", s.getWebhook, ready)
	e.DELETE("/v1/webhooks/:name", s.deleteWebhook, ready)
	e.GET("/v1/webhooks/:name/deliveries", s.webhookDeliveries, ready)
	e.GET("/v1/health", s.health)
	e.GET("/v1/metrics", s.metricsJSON)
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, ui.Prefix) })
	e.GET("/ui", func(c echo.Context) error { return c.Redirect(http.StatusFound, ui.Prefix) })
	e.GET(ui.Prefix+"*", echo.WrapHandler(ui.Handler()))
	e.GET("/v1/openapi.json", s.openAPI)
	e.GET("/docs", s.docsPage)
	e.GET("/docs/:asset", s.docsPage)
	s.e = e
	s.h = s.limitBodies(e)
	if wrapHandler != nil {
		s.h = wrapHandler(s.h)
	}
	return s
}

// wrapHandler, if set, wraps every Server's handler: the server's tests
// set it to check each request and response against the OpenAPI document.
var wrapHandler func(http.Handler) http.Handler

// Handler returns the http.Handler serving the API.
func (s *Server) Handler() http.Handler { return s.h }

// wireInstances exposes the runtime's instance figures on /metrics.
func (s *Server) wireInstances() {
	err := s.metrics.RegisterInstances(func() metrics.InstanceStats {
		st := s.rt.InstanceStats()
		return metrics.InstanceStats{
			Fresh: st.Fresh, Restored: st.Restored, Ready: st.Ready,
			WarmNew: st.WarmNew, WarmReused: st.WarmReused, WarmDiscarded: st.WarmDiscarded,
			ReadyBytes: st.ReadyBytes, ResetBytes: st.ResetBytes, Reset: st.Reset, ResetFallbacks: st.ResetFallbacks,
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
	if s.cfg.Health != nil && !s.cfg.Health.Alive() {
		return fmt.Errorf("%w: the health checks have not completed a round in time", errUnavailable)
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 once the registry is loaded. Damaged stored objects
// do not make the server unready (every other object serves), but they
// are listed, so that a probe or an operator sees them.
func (s *Server) readyz(c echo.Context) error {
	if !s.ready.Load() {
		return errUnavailable
	}
	if err := s.cfg.Health.Refusal(); err != nil {
		return err
	}
	body := map[string]any{"status": "ready"}
	if corrupt := s.reg.Corrupt(); len(corrupt) > 0 {
		body["corrupt_modules"] = corrupt
	}
	if s.cfg.Damaged != nil {
		if n := s.cfg.Damaged(); n > 0 {
			body["damaged_records"] = n
		}
	}
	return c.JSON(http.StatusOK, body)
}

// wireDamage exposes the damaged objects on /metrics.
func (s *Server) wireDamage() {
	err := s.metrics.RegisterDamage(func() metrics.DamageStats {
		st := metrics.DamageStats{Modules: len(s.reg.Corrupt())}
		if s.cfg.Damaged != nil {
			st.Records = s.cfg.Damaged()
		}
		return st
	})
	if err != nil {
		s.log.Warn("damage metrics not registered", "err", err)
	}
}

// backup is GET /v1/admin/backup: a consistent copy of the database,
// taken in one read transaction while the server keeps serving. Errors
// before the first byte have the usual shape; a copy cut short shows as
// a file that fails `nexus store check`, which the CLI runs on every copy.
func (s *Server) backup(c echo.Context) error {
	if s.cfg.Backup == nil {
		return fmt.Errorf("%w: this server has no database to back up", errUnavailable)
	}
	h := c.Response().Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="nexus.db"`)
	c.Response().WriteHeader(http.StatusOK)
	n, err := s.cfg.Backup(c.Response())
	if err != nil {
		s.log.Error("backup cut short", "bytes", n, "err", err)
	}
	return nil
}
