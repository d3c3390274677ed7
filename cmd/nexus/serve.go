package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/logbuf"
	"github.com/nexustask/nexus/internal/logline"
	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/internal/workflow"
	"github.com/nexustask/nexus/server"
	"github.com/spf13/cobra"
)

// serveOptions are the flags of nexus serve: the node's settings, bound
// to its Config, and those of the process or that need parsing.
type serveOptions struct {
	node node.Config

	logFormat  string
	logLevel   string
	logFlush   time.Duration
	pprofAddr  string
	gcPercent  int
	requestLog string
	cpus       string
	rates      []string // CATEGORY=PER_SECOND[:BURST]
	weights    []string // CATEGORY=WEIGHT
	configFile string   // --config; not a key of the configuration itself
}

func newServeCmd() *cobra.Command { return newServeCmdFor(&serveOptions{}) }

// newServeCmdFor returns nexus serve with its flags bound to o.
func newServeCmdFor(o *serveOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the NexusTask server",
		Long: `Run the NexusTask server: the HTTP API on --addr, state in a bbolt database
and compiled code in a cache, both under --data-dir.

Every flag is also a key of the --config file (YAML, JSON or TOML) and an
environment variable NEXUS_<FLAG> (NEXUS_DATA_DIR for --data-dir); flags
win over the environment, which wins over the file. SIGHUP re-reads the
file and applies the keys that may change while serving (nexus config
show lists them); PATCH /v1/config changes them too.

SIGINT or SIGTERM stops accepting requests, lets in-flight invocations finish
(up to --shutdown-timeout), then closes the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, err := newReloader(cmd.Flags(), o, nil)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, *o, rc)
		},
	}
	f := cmd.Flags()
	c, d := &o.node, node.DefaultConfig()
	f.StringVar(&c.Addr, "addr", d.Addr, "listen address (env NEXUS_ADDR)")
	f.StringVar(&c.DataDir, "data-dir", d.DataDir, "data directory (env NEXUS_DATA_DIR)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json (env NEXUS_LOG_FORMAT)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error (env NEXUS_LOG_LEVEL)")
	f.DurationVar(&o.logFlush, "log-flush", defaultLogFlush, "longest an info line waits in the log buffer before it is written (0: write every line at once); warnings and errors are written at once")
	f.StringVar(&o.pprofAddr, "pprof-addr", "", "serve Go's profiles (/debug/pprof/) on this address, e.g. 127.0.0.1:6060 (default: off)")
	f.StringVar(&o.requestLog, "request-log", "all", "which requests get a log line: all, errors (answered 400 or more), off (env NEXUS_REQUEST_LOG)")
	sizeFlag(f, &c.MaxModuleBytes, "max-module-bytes", d.MaxModuleBytes, "largest module accepted for upload")
	sizeFlag(f, &c.MaxBundleBytes, "max-bundle-bytes", bundle.DefaultMaxBytes, "largest total of file bytes a bundle upload may hold")
	f.IntVar(&c.MaxBundleFiles, "max-bundle-files", bundle.DefaultMaxFiles, "most entries (files, directories and links) a bundle upload may hold")
	f.BoolVar(&c.NoSnapshots, "no-snapshots", false, "do not pre-initialise nexus-v1 modules at upload (each fresh instance runs _initialize)")
	f.BoolVar(&c.Init, "init", false, "create an empty database where the data directory holds data but no nexus.db, or where nexus.db is empty (kept aside as nexus.db.empty-TIME); never replaces a database with content")
	f.DurationVar(&c.CompileTimeout, "compile-timeout", d.CompileTimeout, "longest an upload may spend validating, instrumenting, compiling and snapshotting (400 invalid_module past it)")
	f.IntVar(&c.MaxCompiles, "max-compiles", 0, "uploads compiling at once (default: GOMAXPROCS)")
	f.IntVar(&c.MaxSteps, "max-steps", workflow.DefaultMaxSteps, "most steps a workflow, batch or chain may have (400 invalid_request past it)")
	f.IntVar(&c.CompileQueue, "compile-queue", 0, "uploads that may wait for a compilation slot (default: 4 per slot; past it 503 unavailable with Retry-After)")
	fuelFlag(f, &c.SnapshotFuel, "snapshot-fuel", d.SnapshotFuel, "fuel budget of a module's _initialize when it is snapshotted at upload; past it the module runs without a snapshot")
	f.DurationVar(&c.SnapshotTimeout, "snapshot-timeout", d.SnapshotTimeout, "deadline of a module's _initialize when it is snapshotted at upload")
	sizeFlag(f, &c.MaxInputBytes, "max-input-bytes", d.MaxInputBytes, "largest invoke input accepted")
	f.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "how long shutdown waits for in-flight invocations")
	f.IntVar(&o.gcPercent, "gc-percent", executor.GCPercent, "garbage collection target, as GOGC (ignored if GOGC is set); cap the heap with GOMEMLIMIT")
	f.BoolVar(&c.NoCompileCache, "no-compile-cache", false, "do not keep compiled code on disk")
	sizeFlag(f, &c.CacheBytes, "cache-bytes", d.CacheBytes, "bound on the result cache's bytes (0 turns the result cache off)")
	fuelFlag(f, &c.DefaultFuel, "fuel", d.DefaultFuel, "default fuel budget of a task (about one unit per Wasm instruction)")
	fuelFlag(f, &c.MaxFuel, "max-fuel", d.MaxFuel, "largest fuel budget a request may ask for")
	fuelFlag(f, &c.SliceFuel, "slice-fuel", d.SliceFuel, "fuel between two checks of budget, deadline and cancellation")
	sizeFlag(f, &c.DefaultMemoryBytes, "memory", d.DefaultMemoryBytes, "default memory quota of a task, bytes or e.g. 64MiB")
	sizeFlag(f, &c.MaxMemoryBytes, "max-memory", d.MaxMemoryBytes, "largest memory quota a request may ask for, bytes or e.g. 4GiB (400 invalid_request above it)")
	sizeFlag(f, &c.MemoryBudget, "memory-budget", 0, "bound on the memory quotas of all running tasks together, bytes or e.g. 8GiB; a task waits until its quota fits (0: none)")
	f.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", d.ReadHeaderTimeout, "how long a client may take to send a request's headers")
	f.DurationVar(&c.ReadTimeout, "read-timeout", d.ReadTimeout, "grace a request body starts with, and the longest it may pause; past the grace it must average --min-read-rate (408 request_timeout otherwise; negative: no limit)")
	sizeFlag(f, &c.MinReadRate, "min-read-rate", d.MinReadRate, "slowest average rate of a request body past --read-timeout, bytes (or e.g. 16KiB) per second (negative: --read-timeout bounds the whole body)")
	f.DurationVar(&c.IdleTimeout, "idle-timeout", d.IdleTimeout, "how long an idle keep-alive connection is kept open")
	f.DurationVar(&c.DefaultTimeout, "timeout", d.DefaultTimeout, "default deadline of a task")
	f.IntVar(&c.ReadyInstances, "ready-instances", 0, "fresh instances kept ready per module, made in the background as recent demand calls for, up to this many (0: off)")
	sizeFlag(f, &c.ReadyBytes, "ready-bytes", d.ReadyBytes, "bound on the linear memory of all ready instances together")
	f.IntVar(&c.WarmIdle, "warm-idle", d.WarmIdle, "idle instances kept per module uploaded with isolation=warm")
	f.BoolVar(&c.NoReset, "no-reset", false, "give every fresh-isolation task a new instance, instead of an earlier task's reset to its state right after initialisation")
	f.IntVar(&c.Workers, "workers", 0, "worker tokens (default: one per CPU in the process affinity mask)")
	f.StringVar(&o.cpus, "cpus", "", "CPUs to pin worker tokens to, e.g. 0-3,6 (env NEXUS_CPUS)")
	f.BoolVar(&c.PinAtStart, "pin-at-start", false, "pin a task's thread to its worker's CPU as it starts, not at its first fuel slice boundary")
	f.IntVar(&c.QueueCapacity, "queue-capacity", d.QueueCapacity, "tasks that may wait for a token; past it, 429 queue_full")
	f.BoolVar(&c.NoPreemption, "no-preemption", false, "never suspend a running task for a higher-priority one")
	f.DurationVar(&c.Quantum, "quantum", d.Quantum, "time-slice tasks of equal priority after this long (0: off)")
	f.DurationVar(&c.Aging, "aging", d.Aging, "a waiting task gains one priority level per interval (0: off)")
	f.DurationVar(&c.SyncRateWait, "sync-rate-wait", d.SyncRateWait, "how long an invoke waits for its category's rate limit before 429 rate_limited")
	f.StringArrayVar(&o.rates, "rate", nil, "rate limit CATEGORY=PER_SECOND[:BURST] (repeatable)")
	f.StringArrayVar(&o.weights, "weight", nil, "fair-share weight CATEGORY=N (repeatable)")
	addTaskFlags(f, c, d)
	f.StringVar(&o.configFile, "config", "", "read settings from this YAML, JSON or TOML file: each key a flag's name (env NEXUS_CONFIG)")
	addEventFlags(f, c, d)
	addObserveFlags(f, c, d)
	return cmd
}

// defaultLogFlush is --log-flush's default: long enough to gather the
// lines of a busy server into a few writes a second, short enough to look
// immediate on a terminal.
const defaultLogFlush = 100 * time.Millisecond

// newLogger returns the server's logger, formatting as log/slog's text or
// JSON handler (faster for plain lines, see package logline) and writing to
// stderr through a buffer that holds info and debug lines up to flush (see
// package logbuf), the level, which may change while it logs, and that
// buffer, which the caller closes before it exits.
func newLogger(format, level string, flush time.Duration) (*slog.Logger, *slog.LevelVar, *logbuf.Writer, error) {
	lv := new(slog.LevelVar)
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	if flush < 0 {
		return nil, nil, nil, fmt.Errorf("--log-flush must not be negative, not %s", flush)
	}
	if format != "text" && format != "json" {
		return nil, nil, nil, fmt.Errorf("--log-format must be text or json, not %q", format)
	}
	w := logbuf.New(os.Stderr, 0, flush)
	h := logline.New(w, format == "json", &slog.HandlerOptions{Level: lv})
	return slog.New(logbuf.Handler(h, w, slog.LevelWarn)), lv, w, nil
}

func serve(ctx context.Context, o serveOptions, rc *reloader) error {
	log, level, logw, err := newLogger(o.logFormat, o.logLevel, o.logFlush)
	if err != nil {
		return rc.annotate(err)
	}
	defer logw.Close()
	cfg, err := o.nodeConfig(log)
	if err != nil {
		return rc.annotate(err)
	}
	cfg.Reconfigure = rc
	n, err := node.New(ctx, cfg)
	if err != nil {
		return rc.annotate(flagError(err))
	}
	rc.attach(ctx, n, level, log)
	// Close logs what did not drain or close; the exit status does not
	// depend on it. This call only runs on the error paths: the end of
	// serve closes the node first.
	defer n.Close(context.Background())
	tuneRuntime(o, n, log)
	if o.pprofAddr != "" {
		stop, err := startPprof(o.pprofAddr, log)
		if err != nil {
			return fmt.Errorf("--pprof-addr: %w", err)
		}
		defer stop()
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	err = n.Wait(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), o.node.ShutdownTimeout)
	defer cancel()
	n.Close(sctx)
	return err
}

// tuneRuntime sets the process's GC target (unless GOGC is set) and
// raises GOMAXPROCS to one P more than the node's worker tokens (unless
// GOMAXPROCS is set; see executor.Executor.GOMAXPROCS).
func tuneRuntime(o serveOptions, n *node.Node, log *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(o.gcPercent)
	}
	if procs := n.GOMAXPROCS(); os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < procs {
		runtime.GOMAXPROCS(procs)
		log.Info("GOMAXPROCS raised above the worker tokens", "gomaxprocs", procs, "tokens", procs-1)
	}
}

// nodeConfig completes the node's configuration with what the flags and
// the environment say that needs parsing, and the logger.
func (o serveOptions) nodeConfig(log *slog.Logger) (node.Config, error) {
	c := o.node
	c.Logger = log
	var err error
	if c.RequestLog, err = server.ParseRequestLog(o.requestLog); err != nil {
		return c, fmt.Errorf("--request-log: %w", err)
	}
	if o.cpus != "" {
		if c.CPUs, err = executor.ParseCPUList(o.cpus); err != nil {
			return c, fmt.Errorf("--cpus: %w", err)
		}
	}
	if c.Rates, err = parseRates(o.rates); err != nil {
		return c, err
	}
	c.Weights, err = parseWeights(o.weights)
	return c, err
}

// parseRates parses --rate CATEGORY=PER_SECOND[:BURST] flags.
func parseRates(flags []string) (map[string]executor.Rate, error) {
	var rates map[string]executor.Rate
	for _, r := range flags {
		cat, spec, ok := strings.Cut(r, "=")
		perSec, burst, _ := strings.Cut(spec, ":")
		ps, err := strconv.ParseFloat(perSec, 64)
		b := max(int(ps), 1)
		if burst != "" && err == nil {
			b, err = strconv.Atoi(burst)
		}
		if !ok || err != nil || ps <= 0 || b <= 0 {
			return nil, fmt.Errorf("--rate %q: want CATEGORY=PER_SECOND[:BURST]", r)
		}
		if rates == nil {
			rates = map[string]executor.Rate{}
		}
		rates[cat] = executor.Rate{PerSecond: ps, Burst: b}
	}
	return rates, nil
}

// parseWeights parses --weight CATEGORY=N flags.
func parseWeights(flags []string) (map[string]int, error) {
	var weights map[string]int
	for _, w := range flags {
		cat, n, ok := strings.Cut(w, "=")
		weight, err := strconv.Atoi(n)
		if !ok || err != nil || weight <= 0 {
			return nil, fmt.Errorf("--weight %q: want CATEGORY=N with N > 0", w)
		}
		if weights == nil {
			weights = map[string]int{}
		}
		weights[cat] = weight
	}
	return weights, nil
}

// configFlags names the flag of each node.Config field whose value
// node.Config.Validate may refuse on its own.
var configFlags = map[string]string{
	"DataDir":      "--data-dir",
	"CacheBytes":   "--cache-bytes",
	"MemoryBudget": "--memory-budget",
	"OTelEndpoint": "--otel-endpoint",
	"StatsDTags":   "--statsd-tags",
	"MinFreeDisk":  "--min-free-disk",
}

// flagError names the flag behind a node.Config field that was refused.
func flagError(err error) error {
	var fe *node.FieldError
	if errors.As(err, &fe) {
		if flag, ok := configFlags[fe.Field]; ok {
			return fmt.Errorf("%s: %w", flag, fe.Err)
		}
	}
	return err
}
