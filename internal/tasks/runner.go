package tasks

import (
	"context"
	"sync"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/modules"
)

// Runner is the one path every task run takes, synchronous invoke and
// durable attempt alike: resolve the module version, pass the attempt down
// its middleware chain (the result cache, metrics …), and at the end of the
// chain wait for a worker token in the executor and run the instance in
// the host. It is safe for concurrent use.
//
// Build a Runner with NewRunner. A Runner written as a struct literal runs
// with no middleware.
type Runner struct {
	Registry *modules.Registry
	Runtime  *host.Runtime
	Exec     *executor.Executor
	// InFlight, if set, is told +1 when a run starts and -1 when it ends.
	InFlight func(delta int)

	chain  RunFunc // the middlewares around r.core (set once: by NewRunner, or by r.init)
	once   sync.Once
	cached bool         // the chain holds a Cache middleware
	cache  *cache.Cache // that middleware's cache
}

// RunnerConfig is what a Runner runs tasks with.
type RunnerConfig struct {
	Registry *modules.Registry
	Runtime  *host.Runtime
	Exec     *executor.Executor
	// InFlight, if set, is told +1 when an instance starts and -1 when it
	// ends (the gauge of running tasks).
	InFlight func(delta int)
}

// NewRunner returns a Runner whose runs pass through mw, the first the
// outermost: NewRunner(cfg, Cache(c), Metrics(m)) looks the result up
// before anything is counted, and Metrics sees only the runs the cache did
// not answer. The chain is built once, here.
func NewRunner(cfg RunnerConfig, mw ...Middleware) *Runner {
	r := &Runner{Registry: cfg.Registry, Runtime: cfg.Runtime, Exec: cfg.Exec, InFlight: cfg.InFlight}
	r.chain = r.core
	for i := len(mw) - 1; i >= 0; i-- {
		r.chain = link(mw[i], r.chain)
		if c, ok := mw[i].(cacheStep); ok {
			r.cached, r.cache = true, c.c
		}
	}
	return r
}

// Cache returns the cache of the Runner's Cache middleware, and whether it
// has one (its cache may be nil: every attempt asking for caching then
// bypasses it).
func (r *Runner) Cache() (*cache.Cache, bool) { return r.cache, r.cached }

// Attempt is one run of a task: what to run, set by the caller, and what
// happened, set by the Runner and its middlewares. An Attempt is used by
// one Run at a time; its fields may be read once Run has returned, or by a
// middleware once its next has returned.
type Attempt struct {
	ID       string
	Module   string
	Version  int // 0: the latest
	Priority int
	Category string
	// Sync marks a synchronous invoke (executor.Job.Sync).
	Sync bool
	// QueueTimeout, if positive, bounds the wait for a worker token
	// (executor.Job.QueueTimeout): past it the attempt fails with
	// *executor.QueueTimeoutError without running.
	QueueTimeout time.Duration
	// Request is handed to the host; its Yielder is set by Run, and its
	// Namespace, if empty, to the module's name.
	Request host.Request
	// CacheTTL, if positive, asks the Cache middleware to answer the
	// attempt from the result cache, or to store its result for that long;
	// CacheTags label the stored result for invalidation.
	CacheTTL  time.Duration
	CacheTags []string
	// OnPreempt, if set, is called on the running goroutine each time a
	// higher-priority task suspends this one (executor.Job.OnPreempt).
	OnPreempt func()
	// OnResume, if set, is called on the running goroutine when a
	// preempted attempt has its worker token again and goes on.
	OnResume func()
	// OnStart, if set, is called when the attempt holds its worker token,
	// just before the instance starts.
	OnStart func()
	// Submitted is when the task was submitted (or became due), the start
	// of its queue span; zero: when Run was called.
	Submitted time.Time
	// TraceParent and TraceState are the W3C trace context the attempt's
	// spans join when ctx carries no span (a durable task's submitter's).
	TraceParent, TraceState string

	// Resolved is the module version that runs, set before the chain.
	Resolved modules.Version
	// Result is the host's result if Ran. On a cache hit it holds the
	// stored Output and FuelUsed, shared with the cache: they must not be
	// modified.
	Result host.Result
	// Ran reports that the guest ran in this attempt: Result is what the
	// host returned (its logs and fuel also when the run failed).
	Ran bool
	// Shared reports that the attempt failed with the failure of an
	// identical attempt's run that it waited for (Cache coalescing):
	// Result holds that run's Logs and FuelUsed.
	Shared bool
	// Preemptions counts the times the attempt was suspended.
	Preemptions int
	// Cache is how the result cache answered: CacheHit, CacheMiss,
	// CacheBypass, or "" when the attempt did not ask for caching or was
	// refused before reaching the cache.
	Cache string
	// CacheKey is the key of the attempt's result, once the Cache
	// middleware computed it.
	CacheKey cache.Key

	mod *host.Module // the compiled module of Resolved
	// onPreemptBy is the Trace middleware's executor.Job.OnPreemptBy.
	onPreemptBy func(id string)
	// trace, if set by the caller, receives the Trace middleware's context
	// of the run, for spans after the chain (the commit).
	trace *attemptTrace
}

// Run resolves a's module version and passes a down the chain. Its error
// is the run's: the registry's, a middleware's, the executor's or the
// host's.
func (r *Runner) Run(ctx context.Context, a *Attempt) error {
	if err := r.resolve(ctx, a); err != nil {
		return err
	}
	return r.next()(ctx, a)
}

// runOutside is Run with mw around the chain.
func (r *Runner) runOutside(ctx context.Context, a *Attempt, mw Middleware) error {
	if err := r.resolve(ctx, a); err != nil {
		return err
	}
	return mw.Run(ctx, a, r.next())
}

// next returns the chain, r.core alone for a Runner written as a literal.
func (r *Runner) next() RunFunc {
	r.once.Do(r.init)
	return r.chain
}

func (r *Runner) init() {
	if r.chain == nil {
		r.chain = r.core
	}
}

// resolve sets a.Resolved and a.mod.
func (r *Runner) resolve(ctx context.Context, a *Attempt) error {
	v, mod, err := r.Registry.Resolve(ctx, a.Module, a.Version)
	if err != nil {
		return err
	}
	a.Resolved, a.mod = v, mod
	if a.Request.Namespace == "" {
		a.Request.Namespace = v.Name
	}
	return nil
}

// core is the end of every chain: it runs a on the calling goroutine once
// it holds a worker token, and records the host's result in a (a.Ran
// stays false if the task never ran: the executor refused or dropped it).
func (r *Runner) core(ctx context.Context, a *Attempt) error {
	return r.Exec.Do(ctx, executor.Job{
		ID:       a.ID,
		Priority: a.Priority,
		Category: a.Category,
		NUMANode: executor.AnyNode,
		Sync:     a.Sync,
		// The quota the host enforces is what the executor's memory
		// budget counts (0: the default quota, in both).
		MemoryBytes:  a.Request.Limits.MemoryBytes,
		QueueTimeout: a.QueueTimeout,
		Run: func(ctx context.Context, y executor.Yielder) error {
			if r.InFlight != nil {
				r.InFlight(1)
				defer r.InFlight(-1)
			}
			if a.OnStart != nil {
				a.OnStart()
			}
			a.Request.Yielder = y
			if a.OnResume != nil {
				a.Request.Yielder = resumeYielder{y, a}
			}
			res, err := r.Runtime.Run(ctx, a.mod, a.Request)
			if res != nil {
				a.Result, a.Ran = *res, true
			}
			return err
		},
		OnPreempt: func() {
			a.Preemptions++
			if a.OnPreempt != nil {
				a.OnPreempt()
			}
		},
		OnPreemptBy: a.onPreemptBy,
	})
}

// resumeYielder calls its attempt's OnResume when a Yield that preempted
// the attempt returns with the token back.
type resumeYielder struct {
	y executor.Yielder
	a *Attempt
}

func (r resumeYielder) Yield(ctx context.Context) error {
	n := r.a.Preemptions
	err := r.y.Yield(ctx)
	if err == nil && r.a.Preemptions != n {
		r.a.OnResume()
	}
	return err
}
