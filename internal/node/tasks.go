package node

import (
	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
)

// newTaskService wires the durable task service: records in db, attempts
// through runner (the run path of synchronous invokes too), tasks with
// cache_ttl_ms through rc (nil: no result cache), mounts from bs, figures
// on m.
func newTaskService(cfg Config, db *store.DB, bs *bundle.Store, runner *tasks.Runner, m *metrics.Metrics, rc *cache.Cache) (*tasks.Service, error) {
	tcfg := cfg.tasksConfig()
	tcfg.Cache = rc
	tcfg.Bundles = bs
	svc, err := tasks.New(db, db, runner, tcfg)
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
