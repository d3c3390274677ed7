package tasks

import (
	"context"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/modules"
)

// Runner is the one path every task run takes, synchronous invoke and
// durable attempt alike: resolve the module version, wait for a worker
// token in the executor, run the instance in the host. It is safe for
// concurrent use.
type Runner struct {
	Registry *modules.Registry
	Runtime  *host.Runtime
	Exec     *executor.Executor
	// InFlight, if set, is told +1 when a run starts and -1 when it ends.
	InFlight func(delta int)
}

// Attempt is one run of a task.
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
	// Request is handed to the host; its Yielder is set by Run.
	Request host.Request
	// OnResolved, if set, is called with the version about to run.
	OnResolved func(modules.Version)
	// OnPreempt is executor.Job.OnPreempt.
	OnPreempt func()
	// OnStart, if set, is called when the attempt holds its worker token,
	// just before the instance starts.
	OnStart func()
}

// Run resolves a's module version and runs a through Execute.
func (r *Runner) Run(ctx context.Context, a Attempt) (*host.Result, error) {
	v, mod, err := r.Registry.Resolve(ctx, a.Module, a.Version)
	if err != nil {
		return nil, err
	}
	if a.OnResolved != nil {
		a.OnResolved(v)
	}
	if a.Request.Namespace == "" {
		a.Request.Namespace = v.Name
	}
	return r.Execute(ctx, mod, a)
}

// Execute runs a on mod, already resolved, on the calling goroutine once
// it holds a worker token, and returns what the host returned (res is nil
// if the task never ran: the executor refused or dropped it).
func (r *Runner) Execute(ctx context.Context, mod *host.Module, a Attempt) (*host.Result, error) {
	req := a.Request
	var res *host.Result
	err := r.Exec.Do(ctx, executor.Job{
		ID:       a.ID,
		Priority: a.Priority,
		Category: a.Category,
		NUMANode: executor.AnyNode,
		Sync:     a.Sync,
		// The quota the host enforces is what the executor's memory
		// budget counts (0: the default quota, in both).
		MemoryBytes:  req.Limits.MemoryBytes,
		QueueTimeout: a.QueueTimeout,
		Run: func(ctx context.Context, y executor.Yielder) error {
			if r.InFlight != nil {
				r.InFlight(1)
				defer r.InFlight(-1)
			}
			if a.OnStart != nil {
				a.OnStart()
			}
			req.Yielder = y
			var err error
			res, err = r.Runtime.Run(ctx, mod, req)
			return err
		},
		OnPreempt: a.OnPreempt,
	})
	return res, err
}
