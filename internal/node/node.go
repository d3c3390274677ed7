// Package node wires one NexusTask node from a Config: the store, the
// host runtime, the module registry, metrics, the executor, the result
// cache, the durable task service, the scheduler and the HTTP API. The
// binary (nexus serve), the tests and the benchmarks all start a node the
// same way: New, Start, then Close.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/schedule"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/internal/workflow"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

// lockTimeout is how long New waits for another process's lock on the
// database before it fails with store.ErrLocked.
const lockTimeout = 2 * time.Second

// Node is one NexusTask node. New builds it, Start serves it, Close stops
// it; its methods are safe for concurrent use, and its accessors return
// values valid until Close.
type Node struct {
	cfg Config
	log *slog.Logger

	db    *store.DB
	bs    *bundle.Store
	rt    *host.Runtime
	reg   *modules.Registry
	exec  *executor.Executor
	cache *cache.Cache // nil: no result cache
	tasks *tasks.Service
	wf    *workflow.Engine
	sched *schedule.Manager
	srv   *server.Server
	ev    *eventSystem
	obs   observe // tracer, StatsD push, health checks

	mu      sync.Mutex
	started bool
	ready   bool // Start finished: Close drains
	ln      net.Listener
	hs      *http.Server
	served  chan error // hs.Serve's result

	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, opens the database in cfg.DataDir and builds the
// node, not yet listening. ctx bounds the construction only. On error,
// whatever was built is closed again.
func New(ctx context.Context, cfg Config) (_ *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	n := &Node{cfg: cfg, log: cfg.Logger, served: make(chan error, 1)}
	defer func() {
		if err != nil && n.exec != nil {
			n.exec.Close(ctx)
		}
		if err != nil {
			n.closeParts()
		}
	}()
	if n.db, err = store.OpenWith(cfg.DataDir, store.Options{Timeout: lockTimeout, Init: cfg.Init}); err != nil {
		return nil, err
	}
	if n.bs, err = bundle.Open(bundle.Config{Dir: filepath.Join(cfg.DataDir, "bundles"),
		Limits: bundle.Limits{MaxBytes: cfg.MaxBundleBytes, MaxFiles: cfg.MaxBundleFiles}}, n.db); err != nil {
		return nil, err
	}
	hcfg := cfg.hostConfig()
	hcfg.KV = n.db
	if n.rt, err = host.New(ctx, hcfg); err != nil {
		return nil, err
	}
	n.reg = modules.New(n.db, n.rt, modules.Config{MaxBytes: cfg.MaxModuleBytes, Snapshots: !cfg.NoSnapshots})
	m := metrics.New(n.reg.Len)
	if cfg.EventRetention == 0 {
		cfg.EventRetention = DefaultEventRetention
	}
	if cfg.EventMax == 0 {
		cfg.EventMax = DefaultEventMax
	}
	if n.ev, err = newEventSystem(cfg, n.db, m, n.log); err != nil {
		return nil, err
	}
	n.ev.watchModules(n.reg, cfg.nodeName())
	ecfg := cfg.executorConfig()
	if ecfg.Observer, err = m.RegisterExecutor(); err != nil {
		return nil, err
	}
	if n.exec, err = executor.New(ecfg); err != nil {
		return nil, err
	}
	if cfg.CacheBytes > 0 {
		if n.cache, err = cache.New(cache.Config{MaxBytes: cfg.CacheBytes}); err != nil {
			return nil, err
		}
	}
	// One run path for synchronous invokes and durable attempts: one chain,
	// the result cache and the invocation metrics a middleware each.
	if err = n.newObserve(ctx, m); err != nil {
		return nil, err
	}
	mws := n.runMiddleware(m)
	if cfg.EventsInvokes {
		mws = append(mws, tasks.InvokeEvents(n.ev.invokes(), cfg.nodeName()))
	}
	runner := tasks.NewRunner(tasks.RunnerConfig{Registry: n.reg, Runtime: n.rt, Exec: n.exec, InFlight: m.InFlight}, mws...)
	n.newHealth()
	if n.tasks, err = newTaskService(cfg, n.db, n.bs, runner, m, n.cache); err != nil {
		return nil, err
	}
	n.wf = workflow.New(workflow.Config{
		Tasks: n.tasks, Store: n.db, Webhooks: n.ev.deliverer, MaxSteps: cfg.MaxSteps, Logger: n.log,
		Resolve: func(ctx context.Context, name string, version int) error {
			_, _, err := n.reg.Resolve(ctx, name, version)
			return err
		},
	})
	if n.sched, err = newScheduler(n.db, n.tasks, n.log); err != nil {
		return nil, err
	}
	n.srv = server.New(n.reg, n.rt, n.exec, m, server.Config{
		Tasks:          n.tasks,
		Workflows:      n.wf,
		Schedules:      n.sched,
		Runner:         runner,
		MaxModuleBytes: cfg.MaxModuleBytes,
		MaxInputBytes:  cfg.MaxInputBytes,
		Logger:         n.log,
		RequestLog:     cfg.RequestLog,
		Cache:          n.cache,
		BodyTimeout:    cfg.ReadTimeout,
		MinBodyRate:    cfg.MinReadRate,
		CompileTimeout: cfg.CompileTimeout,
		MaxCompiles:    cfg.MaxCompiles,
		CompileQueue:   cfg.CompileQueue,
		Backup:         n.db.Backup,
		Damaged:        func() int { _, c := n.db.Damaged(); return c },
		Bundles:        n.bs,
		Reconfigure:    cfg.Reconfigure,
		EventLog:       n.db,
		Bus:            n.ev.bus,
		Webhooks:       n.ev.deliverer,
		Node:           cfg.nodeName(),
		Tracer:         n.obs.tracer,
		Health:         n.obs.health,
	})
	return n, nil
}

// Start listens on Config.Addr and serves the API (not ready: /readyz and
// the /v1 routes answer 503), loads the stored modules, recovers and
// starts the durable tasks and the schedules, logs what it found damaged,
// then becomes ready. ctx bounds the loading; the tasks and schedules run
// until Close. On error the listener is closed; call Close still.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return errors.New("node: already started")
	}
	n.started = true
	ln, err := net.Listen("tcp", n.cfg.Addr)
	if err != nil {
		return err
	}
	// Bodies are bounded by the server's rate-based deadline, not by
	// http.Server's ReadTimeout, which would cut a large upload on a slow
	// link as surely as a stalled one.
	n.ln = ln
	n.hs = &http.Server{Handler: n.srv.Handler(), ReadHeaderTimeout: n.cfg.ReadHeaderTimeout, IdleTimeout: n.cfg.IdleTimeout}
	n.hs.RegisterOnShutdown(n.srv.CloseStreams) // SSE streams are never idle
	go func(hs *http.Server) { n.served <- hs.Serve(ln) }(n.hs)
	n.log.Info("listening", "addr", ln.Addr().String(), "data_dir", n.cfg.DataDir)

	start := time.Now()
	if err := n.startObserve(); err != nil {
		n.hs.Close()
		return err
	}
	if err := n.load(ctx); err != nil {
		n.hs.Close()
		return err
	}
	n.logDamaged()
	n.obs.health.Start()
	n.srv.SetReady(true)
	n.ready = true
	n.log.Info("ready", "modules", n.reg.Len(), "load_time", time.Since(start))
	return nil
}

// load loads the modules, then starts the task service and the schedules.
func (n *Node) load(ctx context.Context) error {
	if err := n.reg.Load(ctx); err != nil {
		return err
	}
	if err := n.wf.Load(ctx); err != nil {
		return err
	}
	if err := n.tasks.Start(ctx); err != nil {
		return err
	}
	n.wf.Started()
	if err := n.ev.start(); err != nil {
		return err
	}
	return n.sched.Start()
}

// logDamaged logs the stored records and modules refused as damaged.
func (n *Node) logDamaged() {
	if damaged, c := n.db.Damaged(); c > 0 {
		n.log.Error("damaged records skipped; stop the server and run 'nexus store check'", "count", c, "first", damaged[0].Error())
	}
	for _, c := range n.reg.Corrupt() {
		n.log.Error("damaged module refused; upload its bytes again or restore a backup", "module", c.Name, "version", c.Version, "digest", c.Digest, "reason", c.Reason)
	}
}

// Wait blocks until ctx is done, returning nil, or until the HTTP server
// stops on its own, returning why. It does not close the node.
func (n *Node) Wait(ctx context.Context) error {
	select {
	case err := <-n.served:
		n.served <- err // for the next Wait
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("node: serving HTTP: %w", err)
	case <-ctx.Done():
		return nil
	}
}

// Close stops the node in order: not ready, drain in-flight HTTP requests,
// close the schedules (no new submissions), drain the running tasks
// (those still running when the drain ends are requeued on the next
// start), close the executor, the result cache, the runtime, then the
// database. The drains end at ctx's deadline or after
// Config.ShutdownTimeout, whichever comes first; what did not drain is
// logged as a warning, and cut. Close is safe to call more than once, and
// after a failed Start; it returns the database's close error, if any.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() { n.closeErr = n.close(ctx) })
	return n.closeErr
}

func (n *Node) close(ctx context.Context) error {
	n.mu.Lock()
	hs, ready := n.hs, n.ready
	n.mu.Unlock()
	if n.cfg.ShutdownTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.ShutdownTimeout)
		defer cancel()
	}
	if ready {
		n.log.Info("shutting down: draining in-flight requests", "timeout", n.cfg.ShutdownTimeout)
		n.srv.SetReady(false)
		if err := hs.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Warn("shutdown did not drain in time; closing", "err", err)
			hs.Close()
		}
	} else if hs != nil {
		hs.Close()
	}
	n.sched.Close() // no new submissions while the task service drains
	if err := n.tasks.Close(ctx); err != nil {
		n.log.Warn("tasks did not drain in time; running attempts interrupted, requeued on next start", "err", err)
	}
	if err := n.exec.Close(ctx); err != nil {
		n.log.Warn("executor did not drain in time; tasks canceled", "err", err)
	}
	n.ev.close(ctx)
	n.closeObserve(ctx)
	return n.closeParts()
}

// closeParts closes the result cache, the runtime and the database, those
// that were built: the parts that outlive the executor.
func (n *Node) closeParts() error {
	if n.cache != nil {
		n.cache.Close()
	}
	if n.rt != nil {
		n.rt.Close(context.Background())
	}
	if n.db == nil {
		return nil
	}
	err := n.db.Close()
	if err != nil {
		n.log.Error("closing database", "err", err)
	}
	n.log.Info("database closed")
	return err
}

// Addr returns the address the node listens on, the port chosen if
// Config.Addr asked for port 0; "" before Start.
func (n *Node) Addr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// URL returns the node's base URL, http://Addr; "" before Start.
func (n *Node) URL() string {
	if a := n.Addr(); a != "" {
		return "http://" + a
	}
	return ""
}

// Handler returns the HTTP API, the handler Start serves; it answers 503
// on /readyz and the /v1 routes until Start has loaded the modules.
func (n *Node) Handler() http.Handler { return n.srv.Handler() }

// Server returns the HTTP API's server.
func (n *Node) Server() *server.Server { return n.srv }

// Bus returns the node's event bus: Subscribe to it for the events of
// every state change.
func (n *Node) Bus() *events.Bus { return n.ev.bus }

// DB returns the node's database, e.g. for DB.Backup or DB.Check.
func (n *Node) DB() *store.DB { return n.db }

// Workflows returns the node's workflow engine.
func (n *Node) Workflows() *workflow.Engine { return n.wf }

// Tasks returns the durable task service.
func (n *Node) Tasks() *tasks.Service { return n.tasks }

// Cache returns the result cache; nil if Config.CacheBytes turned it off.
func (n *Node) Cache() *cache.Cache { return n.cache }

// Executor returns the node's executor.
func (n *Node) Executor() *executor.Executor { return n.exec }

// GOMAXPROCS returns the GOMAXPROCS the node's executor wants: one P more
// than its worker tokens (see executor.Executor.GOMAXPROCS). Setting it is
// the process's business.
func (n *Node) GOMAXPROCS() int { return n.exec.GOMAXPROCS() }
