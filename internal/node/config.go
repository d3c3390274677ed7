package node

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

// Config configures a Node: every setting of `nexus serve` but the
// process-wide ones (log format and buffering, profiling listener, GC
// target, GOMAXPROCS), which belong to the process that runs the node.
//
// Start from DefaultConfig, which holds the documented defaults. A zero
// field means what its comment says; where that is "off" or "none", the
// zero Config differs from DefaultConfig. Validate reports a field out of
// range. A Config is a plain value: New copies it.
type Config struct {
	// Addr is the HTTP listen address; "127.0.0.1:0" picks a free port,
	// which Node.Addr reports once started.
	Addr string
	// DataDir holds the bbolt database (nexus.db) and the compiled-code
	// cache (compiled/). It is required.
	DataDir string
	// Init creates an empty database where DataDir holds data but no
	// nexus.db, or where nexus.db is empty (store.Options.Init).
	Init bool
	// Logger receives the node's log; nil means slog.Default().
	Logger *slog.Logger
	// RequestLog says which requests get a log line; the zero value logs
	// every request.
	RequestLog server.RequestLog

	// ReadHeaderTimeout bounds how long a client may take to send a
	// request's headers; 0 means none.
	ReadHeaderTimeout time.Duration
	// ReadTimeout and MinReadRate bound request bodies (server.Config's
	// BodyTimeout and MinBodyRate): ReadTimeout of grace, then at least
	// MinReadRate bytes a second. 0 means the server's defaults, negative
	// values as server.Config documents.
	ReadTimeout time.Duration
	MinReadRate int64
	// IdleTimeout is how long an idle keep-alive connection stays open;
	// 0 means the net/http default.
	IdleTimeout time.Duration
	// ShutdownTimeout bounds how long Close waits for in-flight requests
	// and running tasks; 0 or less means as long as Close's context
	// allows.
	ShutdownTimeout time.Duration

	// MaxModuleBytes caps an upload; 0 means modules.DefaultMaxBytes.
	MaxModuleBytes int64
	// MaxInputBytes caps an invoke's input; 0 means
	// server.DefaultMaxInputBytes.
	MaxInputBytes int64
	// MaxBundleBytes caps the files of one bundle upload together (0:
	// bundle.DefaultMaxBytes, 1 GiB); MaxBundleFiles its entries (0:
	// bundle.DefaultMaxFiles). Bundles are stored under DataDir/bundles.
	MaxBundleBytes int64
	MaxBundleFiles int
	// NoSnapshots turns off the pre-initialisation of nexus-v1 modules at
	// upload.
	NoSnapshots bool
	// SnapshotFuel and SnapshotTimeout bound a module's _initialize when
	// it is snapshotted at upload; 0 means the host's defaults.
	SnapshotFuel    int64
	SnapshotTimeout time.Duration
	// CompileTimeout bounds one upload's validation, instrumentation,
	// compilation and snapshot; 0 means server.DefaultCompileTimeout,
	// negative none.
	CompileTimeout time.Duration
	// MaxCompiles is how many uploads compile at once (0: GOMAXPROCS);
	// CompileQueue how many more may wait (0: 4 per slot, negative: none).
	MaxCompiles  int
	CompileQueue int
	// MaxSteps bounds a workflow's steps (0: workflow.DefaultMaxSteps).
	MaxSteps int
	// NoCompileCache keeps compiled code in memory only, not under
	// DataDir/compiled.
	NoCompileCache bool
	// CacheBytes bounds the result cache; 0 turns it off.
	CacheBytes int64

	// DefaultFuel, DefaultMemoryBytes and DefaultTimeout are the limits of
	// a task that asks for none; 0 means the host's defaults.
	DefaultFuel        int64
	DefaultMemoryBytes int64
	DefaultTimeout     time.Duration
	// MaxFuel caps the fuel a request may ask for (0: no cap);
	// MaxMemoryBytes the memory quota (0: host.DefaultMaxMemoryBytes).
	MaxFuel        int64
	MaxMemoryBytes int64
	// SliceFuel is the fuel between two checks of budget, deadline and
	// cancellation; 0 means host.DefaultSliceFuel.
	SliceFuel int64
	// MemoryBudget bounds the memory quotas of all started tasks
	// together; 0 means none.
	MemoryBudget int64
	// ReadyInstances is how many fresh instances per module are kept
	// ready ahead of demand (0: off), ReadyBytes the bound on their
	// memory together (0: host.DefaultReadyBytes).
	ReadyInstances int
	ReadyBytes     int64
	// WarmIdle caps the idle instances kept per warm module; 0 means
	// host.DefaultWarmIdle.
	WarmIdle int
	// NoReset gives every fresh-isolation task a new instance instead of
	// an earlier task's reset to its pristine state (host.Config.NoReset).
	NoReset bool

	// Workers is the number of worker tokens; 0 means one per CPU of the
	// process's affinity mask.
	Workers int
	// CPUs are the CPUs the tokens are pinned to; empty means the
	// affinity mask.
	CPUs []int
	// PinAtStart pins a task's thread as it starts, not at its first
	// fuel slice boundary.
	PinAtStart bool
	// QueueCapacity is how many tasks may wait for a token; 0 means
	// executor.DefaultQueueCapacity.
	QueueCapacity int
	// NoPreemption never suspends a running task for a higher-priority
	// one.
	NoPreemption bool
	// Quantum time-slices tasks of equal priority; 0 means off.
	Quantum time.Duration
	// Aging raises a waiting task one priority level per interval; 0
	// means off.
	Aging time.Duration
	// SyncRateWait is how long an invoke waits for its category's rate
	// token; 0 means not at all.
	SyncRateWait time.Duration
	// Rates are per-category token buckets; Weights are per-category
	// fair-share weights (a category not listed weighs 1).
	Rates   map[string]executor.Rate
	Weights map[string]int

	// Retention is how long finished tasks and their idempotency keys are
	// kept; 0 means tasks.DefaultRetention.
	Retention time.Duration
	// TaskMaxRetries is the max_retries of a task that names none; 0 or
	// less means no retries (DefaultConfig: tasks.DefaultMaxRetries).
	TaskMaxRetries int
	// TaskInFlight bounds the task attempts handed to the executor at
	// once; 0 means tasks.DefaultMaxInFlight.
	TaskInFlight int
	// MaxAwaiting bounds the tasks parked at once awaiting their child
	// tasks; 0 means tasks.DefaultMaxAwaiting.
	MaxAwaiting int
	// RetryBackoff is the delay before a task's first retry, doubled per
	// retry up to RetryBackoffMax; 0 means the tasks package's defaults.
	RetryBackoff    time.Duration
	RetryBackoffMax time.Duration
	// TaskLease is the lease of a running task attempt; 0 means
	// tasks.DefaultLease.
	TaskLease time.Duration

	// Reconfigure, if set, serves GET and PATCH /v1/config: the running
	// configuration, and its changes without a restart.
	Reconfigure server.Reconfigurer
	// NodeName names the node in the events it publishes; empty means
	// the host name.
	NodeName string
	// EventRetention is how long events are kept (0: DefaultEventRetention);
	// EventMax how many at most (0: DefaultEventMax), oldest dropped first.
	EventRetention time.Duration
	EventMax       int
	// EventsInvokes publishes an invoke.finished event for every
	// synchronous invoke.
	EventsInvokes bool
	// WebhookMaxAge is how long an event is retried before its endpoint
	// is marked failing; 0 means events.DefaultMaxAge.
	WebhookMaxAge time.Duration
	// WebhookAllow, if not empty, lists the CIDRs, addresses and host
	// names webhooks may reach (--webhook-allow).
	WebhookAllow []string

	// OTelEndpoint, OTelProtocol and OTelSample configure tracing
	// (telemetry.Config's Endpoint, Protocol and Sample): off unless
	// OTelEndpoint or an OTEL_EXPORTER_OTLP_*ENDPOINT variable is set. A
	// negative OTelSample leaves the sampler to OTEL_TRACES_SAMPLER
	// (DefaultConfig); 0 samples no new trace.
	OTelEndpoint string
	OTelProtocol string
	OTelSample   float64
	// StatsDAddr, if set (HOST:PORT), pushes the metrics to a StatsD
	// server over UDP every StatsDInterval (0: metrics.DefaultStatsDInterval),
	// each name after StatsDPrefix, labels as DogStatsD tags (StatsDTags
	// "dogstatsd", the default) or folded into the names ("none").
	StatsDAddr     string
	StatsDPrefix   string
	StatsDTags     string
	StatsDInterval time.Duration
	// MinFreeDisk is the free space DataDir's file system must keep:
	// below it the node refuses new work (503 unavailable) until space is
	// freed. 0: no bound (DefaultConfig: DefaultMinFreeDisk).
	MinFreeDisk int64
	// HealthInterval is how often the health checks run; 0 means
	// health.DefaultInterval.
	HealthInterval time.Duration
}

// DefaultConfig returns the Config `nexus serve` runs with when given no
// flags, on 127.0.0.1:8080 over ./nexus-data.
func DefaultConfig() Config {
	h, e := host.DefaultConfig(), executor.DefaultConfig()
	return Config{
		Addr:              "127.0.0.1:8080",
		DataDir:           "./nexus-data",
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       server.DefaultBodyTimeout,
		MinReadRate:       server.DefaultMinBodyRate,
		IdleTimeout:       2 * time.Minute,
		ShutdownTimeout:   30 * time.Second,
		MaxModuleBytes:    modules.DefaultMaxBytes,
		MaxInputBytes:     server.DefaultMaxInputBytes,
		SnapshotFuel:      host.DefaultSnapshotFuel,
		SnapshotTimeout:   host.DefaultSnapshotTimeout,
		CompileTimeout:    server.DefaultCompileTimeout,
		CacheBytes:        cache.DefaultMaxBytes,

		DefaultFuel:        h.Defaults.Fuel,
		DefaultMemoryBytes: h.Defaults.MemoryBytes,
		DefaultTimeout:     h.Defaults.Timeout,
		MaxFuel:            h.Max.Fuel,
		MaxMemoryBytes:     h.Max.MemoryBytes,
		SliceFuel:          host.DefaultSliceFuel,
		ReadyBytes:         host.DefaultReadyBytes,
		WarmIdle:           host.DefaultWarmIdle,

		QueueCapacity: executor.DefaultQueueCapacity,
		Quantum:       e.Quantum,
		Aging:         e.AgingInterval,
		SyncRateWait:  e.SyncRateWait,

		Retention:       tasks.DefaultRetention,
		TaskMaxRetries:  tasks.DefaultMaxRetries,
		TaskInFlight:    tasks.DefaultMaxInFlight,
		MaxAwaiting:     tasks.DefaultMaxAwaiting,
		RetryBackoff:    tasks.DefaultBackoffBase,
		RetryBackoffMax: tasks.DefaultBackoffMax,
		TaskLease:       tasks.DefaultLease,

		EventRetention: DefaultEventRetention,
		EventMax:       DefaultEventMax,
		WebhookMaxAge:  events.DefaultMaxAge,
		OTelSample:     -1,
		StatsDPrefix:   "nexus",
		StatsDTags:     "dogstatsd",
		MinFreeDisk:    DefaultMinFreeDisk,
	}
}

// FieldError is a Config field that Validate refuses.
type FieldError struct {
	Field string // the Config field's name, e.g. "CacheBytes"
	Err   error
}

func (e *FieldError) Error() string { return "node: " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *FieldError) Unwrap() error { return e.Err }

// Validate reports the first field out of range, as a *FieldError where
// one field is to blame, or the error of the part it configures.
func (c Config) Validate() error {
	fieldErr := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case c.DataDir == "":
		return fieldErr("DataDir", "required")
	case c.CacheBytes < 0:
		return fieldErr("CacheBytes", "%d must not be negative", c.CacheBytes)
	case c.MaxBundleBytes < 0 || c.MaxBundleFiles < 0:
		return fieldErr("MaxBundleBytes", "bundle limits must not be negative")
	case c.EventRetention < 0:
		return fieldErr("EventRetention", "%s must not be negative", c.EventRetention)
	case c.EventMax < 0:
		return fieldErr("EventMax", "%d must not be negative", c.EventMax)
	case c.WebhookMaxAge < 0:
		return fieldErr("WebhookMaxAge", "%s must not be negative", c.WebhookMaxAge)
	}
	if _, err := events.ParseAllowlist(c.WebhookAllow); err != nil {
		return &FieldError{Field: "WebhookAllow", Err: err}
	}
	if err := c.hostConfig().Validate(); err != nil {
		return err
	}
	if c.MemoryBudget < 0 {
		return fieldErr("MemoryBudget", "%d must not be negative", c.MemoryBudget)
	}
	if err := c.executorConfig().Validate(); err != nil {
		return err
	}
	if err := c.validateObserve(); err != nil {
		return err
	}
	return c.tasksConfig().Validate()
}

// hostConfig is the host runtime's part of c (without its KV store).
func (c Config) hostConfig() host.Config {
	h := host.DefaultConfig()
	h.Defaults.Fuel, h.Defaults.MemoryBytes, h.Defaults.Timeout = c.DefaultFuel, c.DefaultMemoryBytes, c.DefaultTimeout
	h.Max.Fuel, h.Max.MemoryBytes, h.SliceFuel = c.MaxFuel, c.MaxMemoryBytes, c.SliceFuel
	h.ReadyInstances, h.ReadyBytes, h.WarmIdle = c.ReadyInstances, c.ReadyBytes, c.WarmIdle
	h.SnapshotFuel, h.SnapshotTimeout = c.SnapshotFuel, c.SnapshotTimeout
	h.NoReset = c.NoReset
	if !c.NoCompileCache {
		h.CacheDir = filepath.Join(c.DataDir, "compiled")
	}
	return h
}

// executorConfig is the executor's part of c (without its observer).
func (c Config) executorConfig() executor.Config {
	e := executor.DefaultConfig()
	e.Workers, e.CPUs, e.QueueCapacity, e.PinAtStart = c.Workers, c.CPUs, c.QueueCapacity, c.PinAtStart
	e.Preemption, e.Quantum, e.AgingInterval, e.SyncRateWait = !c.NoPreemption, c.Quantum, c.Aging, c.SyncRateWait
	e.Rates, e.Weights = c.Rates, c.Weights
	// The budget counts the quota the host enforces, its default included.
	e.MemoryBudget, e.DefaultMemoryBytes = c.MemoryBudget, c.DefaultMemoryBytes
	return e
}

// tasksConfig is the task service's part of c (without its cache).
func (c Config) tasksConfig() tasks.Config {
	maxRetries := c.TaskMaxRetries
	if maxRetries == 0 {
		maxRetries = -1 // here 0 means no retries; in tasks.Config, the default
	}
	return tasks.Config{
		Retention:         c.Retention,
		DefaultMaxRetries: maxRetries,
		MaxInFlight:       c.TaskInFlight,
		MaxAwaiting:       c.MaxAwaiting,
		BackoffBase:       c.RetryBackoff,
		BackoffMax:        c.RetryBackoffMax,
		Lease:             c.TaskLease,
		Logger:            c.Logger,
		Events:            true,
		Node:              c.nodeName(),
	}
}

// nodeName is NodeName, or the host name.
func (c Config) nodeName() string {
	if c.NodeName != "" {
		return c.NodeName
	}
	h, _ := os.Hostname()
	return h
}
