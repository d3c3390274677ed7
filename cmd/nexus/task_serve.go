package main

import (
	"github.com/nexustask/nexus/internal/node"
	"github.com/spf13/pflag"
)

// addTaskFlags adds the durable-task flags of nexus serve, bound to c,
// with the defaults in d.
func addTaskFlags(f *pflag.FlagSet, c *node.Config, d node.Config) {
	f.DurationVar(&c.Retention, "retention", d.Retention, "how long finished tasks and their idempotency keys are kept")
	f.IntVar(&c.TaskMaxRetries, "task-max-retries", d.TaskMaxRetries, "max_retries of a task that names none")
	f.IntVar(&c.TaskInFlight, "task-inflight", d.TaskInFlight, "task attempts handed to the executor at once (keep below --queue-capacity)")
	f.DurationVar(&c.RetryBackoff, "retry-backoff", d.RetryBackoff, "delay before a task's first retry, doubled per retry")
	f.DurationVar(&c.RetryBackoffMax, "retry-backoff-max", d.RetryBackoffMax, "longest delay between retries")
	f.IntVar(&c.MaxAwaiting, "max-awaiting", d.MaxAwaiting, "tasks waiting at once for their child tasks (task_await), each holding its memory but no worker; past it an await answers ERR_LIMIT")
	f.DurationVar(&c.TaskLease, "task-lease", d.TaskLease, "lease of a running task attempt, renewed every third of it while the attempt lives; a running task whose lease ended and that no attempt holds is requeued")
}
