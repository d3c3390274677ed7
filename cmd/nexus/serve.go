package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/logbuf"
	"github.com/nexustask/nexus/internal/logline"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
	"github.com/spf13/cobra"
)

// serveOptions are the flags of nexus serve.
type serveOptions struct {
	addr            string
	dataDir         string
	logFormat       string
	logLevel        string
	logFlush        time.Duration
	pprofAddr       string
	requestLog      string
	maxModuleBytes  int64
	noSnapshots     bool
	init            bool
	compileTimeout  time.Duration
	maxCompiles     int
	compileQueue    int
	snapshotFuel    int64
	snapshotTimeout time.Duration
	maxInputBytes   int64
	shutdownTimeout time.Duration
	gcPercent       int
	noCache         bool
	cacheBytes      int64       // result cache bound; 0 turns it off
	limits          host.Limits // per-task defaults
	maxFuel         int64
	maxMemory       int64
	memoryBudget    int64

	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	minReadRate       int64
	idleTimeout       time.Duration
	sliceFuel         int64
	readyInstances    int
	readyBytes        int64
	warmIdle          int

	workers       int
	cpus          string
	pinAtStart    bool
	queueCapacity int
	noPreemption  bool
	quantum       time.Duration
	aging         time.Duration
	syncRateWait  time.Duration
	rates         []string // CATEGORY=PER_SECOND[:BURST]
	weights       []string // CATEGORY=WEIGHT

	tasks taskOptions // durable tasks (task_serve.go)
}

func newServeCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the NexusTask server",
		Long: `Run the NexusTask server: the HTTP API on --addr, state in a bbolt database
and compiled code in a cache, both under --data-dir.

SIGINT or SIGTERM stops accepting requests, lets in-flight invocations finish
(up to --shutdown-timeout), then closes the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", envOr("NEXUS_ADDR", "127.0.0.1:8080"), "listen address (env NEXUS_ADDR)")
	f.StringVar(&o.dataDir, "data-dir", envOr("NEXUS_DATA_DIR", "./nexus-data"), "data directory (env NEXUS_DATA_DIR)")
	f.StringVar(&o.logFormat, "log-format", envOr("NEXUS_LOG_FORMAT", "text"), "log format: text or json (env NEXUS_LOG_FORMAT)")
	f.StringVar(&o.logLevel, "log-level", envOr("NEXUS_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env NEXUS_LOG_LEVEL)")
	f.DurationVar(&o.logFlush, "log-flush", defaultLogFlush, "longest an info line waits in the log buffer before it is written (0: write every line at once); warnings and errors are written at once")
	f.StringVar(&o.pprofAddr, "pprof-addr", "", "serve Go's profiles (/debug/pprof/) on this address, e.g. 127.0.0.1:6060 (default: off)")
	f.StringVar(&o.requestLog, "request-log", envOr("NEXUS_REQUEST_LOG", "all"), "which requests get a log line: all, errors (answered 400 or more), off (env NEXUS_REQUEST_LOG)")
	f.Int64Var(&o.maxModuleBytes, "max-module-bytes", modules.DefaultMaxBytes, "largest module accepted for upload")
	f.BoolVar(&o.noSnapshots, "no-snapshots", false, "do not pre-initialise nexus-v1 modules at upload (each fresh instance runs _initialize)")
	f.BoolVar(&o.init, "init", false, "create an empty database where the data directory holds data but no nexus.db, or where nexus.db is empty (kept aside as nexus.db.empty-TIME); never replaces a database with content")
	f.DurationVar(&o.compileTimeout, "compile-timeout", server.DefaultCompileTimeout, "longest an upload may spend validating, instrumenting, compiling and snapshotting (400 invalid_module past it)")
	f.IntVar(&o.maxCompiles, "max-compiles", 0, "uploads compiling at once (default: GOMAXPROCS)")
	f.IntVar(&o.compileQueue, "compile-queue", 0, "uploads that may wait for a compilation slot (default: 4 per slot; past it 503 unavailable with Retry-After)")
	f.Int64Var(&o.snapshotFuel, "snapshot-fuel", host.DefaultSnapshotFuel, "fuel budget of a module's _initialize when it is snapshotted at upload; past it the module runs without a snapshot")
	f.DurationVar(&o.snapshotTimeout, "snapshot-timeout", host.DefaultSnapshotTimeout, "deadline of a module's _initialize when it is snapshotted at upload")
	f.Int64Var(&o.maxInputBytes, "max-input-bytes", server.DefaultMaxInputBytes, "largest invoke input accepted")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long shutdown waits for in-flight invocations")
	f.IntVar(&o.gcPercent, "gc-percent", executor.GCPercent, "garbage collection target, as GOGC (ignored if GOGC is set); cap the heap with GOMEMLIMIT")
	f.BoolVar(&o.noCache, "no-compile-cache", false, "do not keep compiled code on disk")
	f.Int64Var(&o.cacheBytes, "cache-bytes", cache.DefaultMaxBytes, "bound on the result cache's bytes (0 turns the result cache off)")
	d := host.DefaultLimits()
	f.Int64Var(&o.limits.Fuel, "fuel", d.Fuel, "default fuel budget of a task (about one unit per Wasm instruction)")
	f.Int64Var(&o.maxFuel, "max-fuel", host.DefaultConfig().Max.Fuel, "largest fuel budget a request may ask for")
	f.Int64Var(&o.sliceFuel, "slice-fuel", host.DefaultSliceFuel, "fuel between two checks of budget, deadline and cancellation")
	f.Int64Var(&o.limits.MemoryBytes, "memory", d.MemoryBytes, "default memory quota of a task, in bytes")
	f.Int64Var(&o.maxMemory, "max-memory", host.DefaultConfig().Max.MemoryBytes, "largest memory quota a request may ask for, in bytes (400 invalid_request above it)")
	f.Int64Var(&o.memoryBudget, "memory-budget", 0, "bound on the memory quotas of all running tasks together, in bytes; a task waits until its quota fits (0: none)")
	f.DurationVar(&o.readHeaderTimeout, "read-header-timeout", 10*time.Second, "how long a client may take to send a request's headers")
	f.DurationVar(&o.readTimeout, "read-timeout", server.DefaultBodyTimeout, "grace a request body starts with, and the longest it may pause; past the grace it must average --min-read-rate (408 request_timeout otherwise; negative: no limit)")
	f.Int64Var(&o.minReadRate, "min-read-rate", server.DefaultMinBodyRate, "slowest average rate of a request body past --read-timeout, in bytes per second (negative: --read-timeout bounds the whole body)")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 2*time.Minute, "how long an idle keep-alive connection is kept open")
	f.DurationVar(&o.limits.Timeout, "timeout", d.Timeout, "default deadline of a task")
	f.IntVar(&o.readyInstances, "ready-instances", 0, "fresh instances kept ready per module, made in the background as recent demand calls for, up to this many (0: off)")
	f.Int64Var(&o.readyBytes, "ready-bytes", host.DefaultReadyBytes, "bound on the linear memory of all ready instances together")
	f.IntVar(&o.warmIdle, "warm-idle", host.DefaultWarmIdle, "idle instances kept per module uploaded with isolation=warm")
	ed := executor.DefaultConfig()
	f.IntVar(&o.workers, "workers", 0, "worker tokens (default: one per CPU in the process affinity mask)")
	f.StringVar(&o.cpus, "cpus", "", "CPUs to pin worker tokens to, e.g. 0-3,6 (env NEXUS_CPUS)")
	f.BoolVar(&o.pinAtStart, "pin-at-start", false, "pin a task's thread to its worker's CPU as it starts, not at its first fuel slice boundary")
	f.IntVar(&o.queueCapacity, "queue-capacity", executor.DefaultQueueCapacity, "tasks that may wait for a token; past it, 429 queue_full")
	f.BoolVar(&o.noPreemption, "no-preemption", false, "never suspend a running task for a higher-priority one")
	f.DurationVar(&o.quantum, "quantum", ed.Quantum, "time-slice tasks of equal priority after this long (0: off)")
	f.DurationVar(&o.aging, "aging", ed.AgingInterval, "a waiting task gains one priority level per interval (0: off)")
	f.DurationVar(&o.syncRateWait, "sync-rate-wait", ed.SyncRateWait, "how long an invoke waits for its category's rate limit before 429 rate_limited")
	f.StringArrayVar(&o.rates, "rate", nil, "rate limit CATEGORY=PER_SECOND[:BURST] (repeatable)")
	f.StringArrayVar(&o.weights, "weight", nil, "fair-share weight CATEGORY=N (repeatable)")
	addTaskFlags(f, &o.tasks)
	return cmd
}

// defaultLogFlush is --log-flush's default: long enough to gather the
// lines of a busy server into a few writes a second, short enough to look
// immediate on a terminal.
const defaultLogFlush = 100 * time.Millisecond

// newLogger returns the server's logger, formatting as log/slog's text or
// JSON handler (faster for plain lines, see package logline) and writing to
// stderr through a buffer that holds info and debug lines up to flush (see
// package logbuf), and that buffer, which the caller closes before it exits.
func newLogger(format, level string, flush time.Duration) (*slog.Logger, *logbuf.Writer, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	if flush < 0 {
		return nil, nil, fmt.Errorf("--log-flush must not be negative, not %s", flush)
	}
	if format != "text" && format != "json" {
		return nil, nil, fmt.Errorf("--log-format must be text or json, not %q", format)
	}
	w := logbuf.New(os.Stderr, 0, flush)
	h := logline.New(w, format == "json", &slog.HandlerOptions{Level: lv})
	return slog.New(logbuf.Handler(h, w, slog.LevelWarn)), w, nil
}

func serve(ctx context.Context, o serveOptions) error {
	log, logw, err := newLogger(o.logFormat, o.logLevel, o.logFlush)
	if err != nil {
		return err
	}
	defer logw.Close()
	requestLog, err := server.ParseRequestLog(o.requestLog)
	if err != nil {
		return fmt.Errorf("--request-log: %w", err)
	}
	db, err := store.OpenWith(o.dataDir, store.Options{Timeout: 2 * time.Second, Init: o.init})
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("closing database", "err", err)
		}
		log.Info("database closed")
	}()
	hcfg := host.DefaultConfig()
	hcfg.Defaults.Fuel, hcfg.Defaults.MemoryBytes, hcfg.Defaults.Timeout = o.limits.Fuel, o.limits.MemoryBytes, o.limits.Timeout
	hcfg.Max.Fuel, hcfg.Max.MemoryBytes, hcfg.SliceFuel = o.maxFuel, o.maxMemory, o.sliceFuel
	hcfg.ReadyInstances, hcfg.ReadyBytes, hcfg.WarmIdle = o.readyInstances, o.readyBytes, o.warmIdle
	hcfg.SnapshotFuel, hcfg.SnapshotTimeout = o.snapshotFuel, o.snapshotTimeout
	hcfg.KV = db
	if !o.noCache {
		hcfg.CacheDir = filepath.Join(o.dataDir, "compiled")
	}
	rt, err := host.New(ctx, hcfg)
	if err != nil {
		return err
	}
	defer rt.Close(context.Background())
	reg := modules.New(db, rt, modules.Config{MaxBytes: o.maxModuleBytes, Snapshots: !o.noSnapshots})
	m := metrics.New(reg.Len)
	ecfg, err := o.executorConfig()
	if err != nil {
		return err
	}
	// The budget counts the quota the host enforces, its default included.
	ecfg.MemoryBudget, ecfg.DefaultMemoryBytes = o.memoryBudget, o.limits.MemoryBytes
	if err := ecfg.Validate(); err != nil {
		return fmt.Errorf("--memory-budget: %w", err)
	}
	if ecfg.Observer, err = m.RegisterExecutor(); err != nil {
		return err
	}
	exec, err := executor.New(ecfg)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(o.gcPercent)
	}
	// One P more than the worker tokens, unless GOMAXPROCS is set (see
	// Executor.GOMAXPROCS).
	if n := exec.GOMAXPROCS(); os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < n {
		runtime.GOMAXPROCS(n)
		log.Info("GOMAXPROCS raised above the worker tokens", "gomaxprocs", n, "tokens", n-1)
	}
	rc, err := newResultCache(o.cacheBytes)
	if err != nil {
		return err
	}
	if rc != nil {
		defer rc.Close()
	}
	svc, err := newTaskService(o.tasks, db, reg, rt, exec, m, rc, log)
	if err != nil {
		return err
	}
	sched, err := newScheduler(db, svc, log)
	if err != nil {
		return err
	}
	defer sched.Close()
	srv := server.New(reg, rt, exec, m, server.Config{
		Tasks:          svc,
		Schedules:      sched,
		MaxModuleBytes: o.maxModuleBytes,
		MaxInputBytes:  o.maxInputBytes,
		Logger:         log,
		RequestLog:     requestLog,
		Cache:          rc,
		BodyTimeout:    o.readTimeout,
		MinBodyRate:    o.minReadRate,
		CompileTimeout: o.compileTimeout,
		MaxCompiles:    o.maxCompiles,
		CompileQueue:   o.compileQueue,
		Backup:         db.Backup,
		Damaged:        func() int { _, n := db.Damaged(); return n },
	})

	if o.pprofAddr != "" {
		stop, err := startPprof(o.pprofAddr, log)
		if err != nil {
			return fmt.Errorf("--pprof-addr: %w", err)
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	hs := newHTTPServer(o, srv.Handler())
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "data_dir", o.dataDir)

	start := time.Now()
	if err := reg.Load(ctx); err != nil {
		hs.Close()
		return err
	}
	if err := svc.Start(ctx); err != nil {
		hs.Close()
		return err
	}
	if err := sched.Start(); err != nil {
		hs.Close()
		return err
	}
	if damaged, n := db.Damaged(); n > 0 {
		log.Error("damaged records skipped; stop the server and run 'nexus store check'", "count", n, "first", damaged[0].Error())
	}
	for _, c := range reg.Corrupt() {
		log.Error("damaged module refused; upload its bytes again or restore a backup", "module", c.Name, "version", c.Version, "digest", c.Digest, "reason", c.Reason)
	}
	srv.SetReady(true)
	log.Info("ready", "modules", reg.Len(), "load_time", time.Since(start))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", o.shutdownTimeout)
	srv.SetReady(false)
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown did not drain in time; closing", "err", err)
		hs.Close()
	}
	sched.Close() // no new submissions while the task service drains
	if err := svc.Close(sctx); err != nil {
		log.Warn("tasks did not drain in time; running attempts interrupted, requeued on next start", "err", err)
	}
	if err := exec.Close(sctx); err != nil {
		log.Warn("executor did not drain in time; tasks canceled", "err", err)
	}
	return nil
}

// newHTTPServer returns the API's http.Server. Headers are bounded by
// --read-header-timeout; bodies by the server package's rate-based
// deadline (--read-timeout, --min-read-rate), not by http.Server's
// ReadTimeout, which would cut a large upload on a slow link as surely as
// a stalled one; idle keep-alive connections by --idle-timeout.
func newHTTPServer(o serveOptions, h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: o.readHeaderTimeout, IdleTimeout: o.idleTimeout}
}

// executorConfig builds the executor's configuration from the flags.
func (o serveOptions) executorConfig() (executor.Config, error) {
	c := executor.DefaultConfig()
	c.Workers, c.QueueCapacity, c.PinAtStart = o.workers, o.queueCapacity, o.pinAtStart
	c.Preemption, c.Quantum, c.AgingInterval, c.SyncRateWait = !o.noPreemption, o.quantum, o.aging, o.syncRateWait
	cpus := o.cpus
	if cpus == "" {
		cpus = os.Getenv("NEXUS_CPUS")
	}
	if cpus != "" {
		list, err := executor.ParseCPUList(cpus)
		if err != nil {
			return c, fmt.Errorf("--cpus: %w", err)
		}
		c.CPUs = list
	}
	for _, r := range o.rates {
		cat, spec, ok := strings.Cut(r, "=")
		perSec, burst, _ := strings.Cut(spec, ":")
		ps, err := strconv.ParseFloat(perSec, 64)
		b := max(int(ps), 1)
		if burst != "" && err == nil {
			b, err = strconv.Atoi(burst)
		}
		if !ok || err != nil || ps <= 0 || b <= 0 {
			return c, fmt.Errorf("--rate %q: want CATEGORY=PER_SECOND[:BURST]", r)
		}
		if c.Rates == nil {
			c.Rates = map[string]executor.Rate{}
		}
		c.Rates[cat] = executor.Rate{PerSecond: ps, Burst: b}
	}
	for _, w := range o.weights {
		cat, n, ok := strings.Cut(w, "=")
		weight, err := strconv.Atoi(n)
		if !ok || err != nil || weight <= 0 {
			return c, fmt.Errorf("--weight %q: want CATEGORY=N with N > 0", w)
		}
		if c.Weights == nil {
			c.Weights = map[string]int{}
		}
		c.Weights[cat] = weight
	}
	return c, c.Validate()
}

// newResultCache returns a result cache bounded to maxBytes, or nil when
// maxBytes is 0 (the cache is off).
func newResultCache(maxBytes int64) (*cache.Cache, error) {
	if maxBytes < 0 {
		return nil, fmt.Errorf("--cache-bytes %d must not be negative", maxBytes)
	}
	if maxBytes == 0 {
		return nil, nil
	}
	return cache.New(cache.Config{MaxBytes: maxBytes})
}
