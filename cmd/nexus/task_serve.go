package main

import (
	"log/slog"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
	"github.com/spf13/pflag"
)

// taskOptions are the durable-task flags of nexus serve.
type taskOptions struct {
	retention   time.Duration
	maxRetries  int
	maxInFlight int
	backoff     time.Duration
	backoffMax  time.Duration
	lease       time.Duration
}

func addTaskFlags(f *pflag.FlagSet, o *taskOptions) {
	f.DurationVar(&o.retention, "retention", tasks.DefaultRetention, "how long finished tasks and their idempotency keys are kept")
	f.IntVar(&o.maxRetries, "task-max-retries", tasks.DefaultMaxRetries, "max_retries of a task that names none")
	f.IntVar(&o.maxInFlight, "task-inflight", tasks.DefaultMaxInFlight, "task attempts handed to the executor at once (keep below --queue-capacity)")
	f.DurationVar(&o.backoff, "retry-backoff", tasks.DefaultBackoffBase, "delay before a task's first retry, doubled per retry")
	f.DurationVar(&o.backoffMax, "retry-backoff-max", tasks.DefaultBackoffMax, "longest delay between retries")
	f.DurationVar(&o.lease, "task-lease", tasks.DefaultLease, "lease of a running task attempt, renewed every third of it while the attempt lives; a running task whose lease ended and that no attempt holds is requeued")
}

// newTaskService wires the durable task service: records in db, attempts
// through the same runner as synchronous invokes, tasks with cache_ttl_ms
// through rc (nil: no result cache).
func newTaskService(o taskOptions, db *store.DB, reg *modules.Registry, rt *host.Runtime,
	exec *executor.Executor, m *metrics.Metrics, rc *cache.Cache, log *slog.Logger) (*tasks.Service, error) {
	runner := &tasks.Runner{Registry: reg, Runtime: rt, Exec: exec, InFlight: m.InFlight}
	maxRetries := o.maxRetries
	if maxRetries == 0 {
		maxRetries = -1 // the flag's 0 means no retries; the Config's, the default
	}
	svc, err := tasks.New(db, db, runner, tasks.Config{
		Retention:         o.retention,
		DefaultMaxRetries: maxRetries,
		MaxInFlight:       o.maxInFlight,
		BackoffBase:       o.backoff,
		BackoffMax:        o.backoffMax,
		Lease:             o.lease,
		Cache:             rc,
		Logger:            log,
	})
	if err != nil {
		return nil, err
	}
	return svc, m.RegisterTasks(func() metrics.TaskStats { return taskStats(svc.Stats()) })
}

// taskStats converts the service's figures for the metrics collector.
func taskStats(s tasks.Stats) metrics.TaskStats {
	fin := make(map[string]uint64, len(s.Outcomes))
	for st, n := range s.Outcomes {
		fin[string(st)] = n
	}
	return metrics.TaskStats{
		Scheduled: s.Scheduled, Queued: s.Queued, Running: s.Running, InFlight: s.InFlight,
		Submitted: s.Submitted, Retries: s.Retries, Recovered: s.Recovered, Finished: fin,
		Commits: s.Commits, CommitWrites: s.CommitWrites, Reaped: s.Reaped, LeaseRenewals: s.LeaseRenewals,
	}
}
