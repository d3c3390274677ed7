package metrics

import "github.com/prometheus/client_golang/prometheus"

// TaskStats are the durable task service's figures as the task collector
// reads them at each scrape (package metrics does not import the service).
type TaskStats struct {
	Scheduled, Queued, Running, InFlight int
	Submitted, Retries, Recovered        uint64
	// Reaped counts running tasks requeued because their lease ended with
	// no live attempt; LeaseRenewals counts lease renewals written.
	Reaped, LeaseRenewals uint64
	// Finished counts finished tasks by final state (succeeded, failed,
	// canceled, dead).
	Finished              map[string]uint64
	Commits, CommitWrites uint64
}

// taskCollector turns a TaskStats snapshot into Prometheus series.
type taskCollector struct {
	stats                                                  func() TaskStats
	tasks, inFlight, submitted, finished, retries, recover *prometheus.Desc
	commits, writes, reaped, renewals                      *prometheus.Desc
}

// RegisterTasks registers the task service's series on m's registry,
// reading stats at each scrape: nexus_tasks{state} (scheduled, queued,
// running), nexus_tasks_in_flight, nexus_tasks_submitted_total,
// nexus_tasks_finished_total{state}, nexus_tasks_retries_total,
// nexus_tasks_recovered_total, nexus_tasks_reaped_total,
// nexus_task_lease_renewals_total, nexus_task_commits_total and
// nexus_task_commit_writes_total. stats must be safe for concurrent use.
// Call it once per Metrics.
func (m *Metrics) RegisterTasks(stats func() TaskStats) error {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return m.reg.Register(&taskCollector{
		stats:     stats,
		tasks:     d("nexus_tasks", "Durable tasks held, by state (scheduled, queued, running).", "state"),
		inFlight:  d("nexus_tasks_in_flight", "Task attempts handed to the executor."),
		submitted: d("nexus_tasks_submitted_total", "Tasks created (idempotent repeats excluded)."),
		finished:  d("nexus_tasks_finished_total", "Tasks finished, by final state.", "state"),
		retries:   d("nexus_tasks_retries_total", "Failed attempts followed by a retry."),
		recover:   d("nexus_tasks_recovered_total", "Tasks found running at start-up and requeued."),
		commits:   d("nexus_task_commits_total", "Group commits (one fsync each) of task state."),
		writes:    d("nexus_task_commit_writes_total", "Task writes applied by group commits."),
		reaped:    d("nexus_tasks_reaped_total", "Running tasks requeued because their lease ended with no live attempt."),
		renewals:  d("nexus_task_lease_renewals_total", "Lease renewals of running tasks written."),
	})
}

// Describe implements prometheus.Collector.
func (c *taskCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tasks, c.inFlight, c.submitted, c.finished, c.retries, c.recover, c.commits, c.writes, c.reaped, c.renewals} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *taskCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.tasks, s.Scheduled, "scheduled")
	gauge(c.tasks, s.Queued, "queued")
	gauge(c.tasks, s.Running, "running")
	gauge(c.inFlight, s.InFlight)
	counter(c.submitted, s.Submitted)
	for _, st := range []string{"succeeded", "failed", "canceled", "dead"} {
		counter(c.finished, s.Finished[st], st)
	}
	counter(c.retries, s.Retries)
	counter(c.recover, s.Recovered)
	counter(c.commits, s.Commits)
	counter(c.writes, s.CommitWrites)
	counter(c.reaped, s.Reaped)
	counter(c.renewals, s.LeaseRenewals)
}
