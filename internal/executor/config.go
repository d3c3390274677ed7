package executor

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nexustask/nexus/internal/clock"
)

// Priorities run from MinPriority to MaxPriority; higher runs first.
const (
	MinPriority = 0
	MaxPriority = 9
	levels      = MaxPriority + 1
)

// Defaults of Config.
const (
	// DefaultQueueCapacity is the queue bound when Config.QueueCapacity is 0.
	DefaultQueueCapacity = 10_000
	// DefaultAgingInterval is DefaultConfig's AgingInterval: a job waiting
	// 10 s ranks one level higher, so a priority-0 job outranks fresh
	// priority-9 work after 100 s of waiting.
	DefaultAgingInterval = 10 * time.Second
	// DefaultSyncRateWait is DefaultConfig's SyncRateWait.
	DefaultSyncRateWait = time.Second
	// DefaultQuantum is DefaultConfig's Quantum: a job of a priority that
	// others of the same priority wait for gives its token up after 20 ms
	// of holding it. A handover costs a few microseconds (bench/RESULTS.md),
	// so 20 ms slices cost well under 0.1 % of a worker, and a short task
	// behind long ones of its priority waits tens of milliseconds per job
	// ahead of it instead of their whole run. Quanta are checked at fuel
	// slice boundaries (about a millisecond each), so one much shorter
	// than a slice would not take effect anyway.
	DefaultQuantum = 20 * time.Millisecond
	// DefaultCategory is the category of a Job whose Category is "".
	DefaultCategory = "default"
	// AnyNode as Job.NUMANode means the job has no NUMA preference.
	AnyNode = -1
)

// Config configures an Executor. The zero value is usable: one token per
// CPU of the process's affinity mask, DefaultQueueCapacity, no preemption,
// no aging, no time slicing, no memory budget, equal weights and no rate
// limits. DefaultConfig turns preemption, aging and time slicing on.
type Config struct {
	// Workers is the number of worker tokens: how many jobs run at once.
	// 0 means one per CPU. Token i is pinned to CPUs[i mod len(CPUs)].
	Workers int
	// CPUs lists the CPUs tokens are pinned to (from --cpus 0-3; see
	// ParseCPUList). Empty means the process's affinity mask. On Linux each
	// must be in that mask.
	CPUs []int
	// QueueCapacity bounds the jobs accepted but not yet started, across
	// all priorities and including jobs waiting for a rate token. 0 means
	// DefaultQueueCapacity.
	QueueCapacity int
	// PinAtStart pins a job's thread to its token's CPU as the job starts.
	// By default the thread is pinned at the job's first Yield, that is
	// once it has run a whole fuel slice: a job that finishes inside its
	// first slice (most invocations and short tasks) runs on the thread
	// it was dispatched on and pays no affinity system calls, which cost
	// more than such a job's run. Tokens bound how many jobs run at once
	// either way.
	PinAtStart bool
	// Preemption lets a job waiting for a token take one from a running
	// job of strictly lower priority at that job's next Yield.
	Preemption bool
	// Quantum, if positive, time-slices jobs of equal priority: a job that
	// has held its token for Quantum gives it to a waiting job of the same
	// or higher priority at its next Yield and goes to the back of its
	// category's queue. 0 means off; DefaultConfig uses DefaultQuantum.
	Quantum time.Duration
	// AgingInterval, if positive, ranks a waiting job one priority level
	// higher for each interval it has waited, so low priorities are not
	// starved forever. Aging orders the queue only; it never preempts.
	// 0 means off; DefaultConfig uses DefaultAgingInterval.
	AgingInterval time.Duration
	// Weights are the fair-share weights of categories within a priority;
	// a category not listed weighs 1. Weights must be positive.
	Weights map[string]int
	// Rates are per-category token buckets; a category not listed is not
	// rate limited.
	Rates map[string]Rate
	// MemoryBudget, if positive, bounds the memory quotas (Job.MemoryBytes)
	// of all started jobs together, running and suspended: a job starts
	// only when its quota fits what the started ones leave. The job next
	// in order (by priority, aging and fair share) that does not fit
	// blocks every job behind it until enough memory is released: none
	// overtakes it, so a large job cannot be starved by a stream of small
	// ones, at the cost of tokens idling meanwhile. A job whose quota
	// exceeds the whole budget is refused at submission (ErrInvalidJob).
	// 0 means no budget.
	MemoryBudget int64
	// DefaultMemoryBytes is the quota counted against MemoryBudget for a
	// Job whose MemoryBytes is 0: the runtime's default memory quota.
	DefaultMemoryBytes int64
	// SyncRateWait is how long a synchronous job (Job.Sync) may wait for
	// its category's rate token before it fails with *RateLimitError.
	SyncRateWait time.Duration
	// Observer receives metrics; nil means none.
	Observer Observer
	// Clock drives rate limits, aging, quanta and queue-wait figures; nil
	// means the real clock. Tests inject a manual one.
	Clock Clock
	// SysfsRoot is where the NUMA topology is read from; "" means /sys.
	SysfsRoot string
}

// Rate is a token bucket: PerSecond tokens are added each second, up to
// Burst. Each job takes one token.
type Rate struct {
	// PerSecond is the refill rate; it must be positive (math.Inf(1) for
	// no limit).
	PerSecond float64
	// Burst is the bucket's size; it must be at least 1.
	Burst int
}

// DefaultConfig returns the configuration the server starts from:
// preemption on, time slicing every DefaultQuantum, aging every
// DefaultAgingInterval, synchronous jobs waiting up to
// DefaultSyncRateWait for a rate token.
func DefaultConfig() Config {
	return Config{
		QueueCapacity: DefaultQueueCapacity,
		Preemption:    true,
		Quantum:       DefaultQuantum,
		AgingInterval: DefaultAgingInterval,
		SyncRateWait:  DefaultSyncRateWait,
	}
}

// Validate reports whether c is usable. It does not check CPUs against
// the affinity mask; New does.
func (c Config) Validate() error {
	switch {
	case c.Workers < 0:
		return errors.New("executor: Workers must not be negative")
	case c.QueueCapacity < 0:
		return errors.New("executor: QueueCapacity must not be negative")
	case c.Quantum < 0 || c.AgingInterval < 0 || c.SyncRateWait < 0:
		return errors.New("executor: durations must not be negative")
	case c.MemoryBudget < 0 || c.DefaultMemoryBytes < 0:
		return errors.New("executor: MemoryBudget and DefaultMemoryBytes must not be negative")
	}
	seen := make(map[int]bool, len(c.CPUs))
	for _, cpu := range c.CPUs {
		if cpu < 0 || seen[cpu] {
			return fmt.Errorf("executor: bad or repeated CPU %d", cpu)
		}
		seen[cpu] = true
	}
	for cat, w := range c.Weights {
		if w <= 0 || w > maxWeight {
			return fmt.Errorf("executor: weight of %q is %d; want 1..%d", cat, w, maxWeight)
		}
	}
	for cat, r := range c.Rates {
		if !(r.PerSecond > 0) || r.Burst < 1 || math.IsNaN(r.PerSecond) {
			return fmt.Errorf("executor: rate of %q needs PerSecond > 0 and Burst >= 1", cat)
		}
	}
	return nil
}

// Clock is the time source of an Executor (internal/clock).
type Clock = clock.Clock

// Timer is a pending Clock.AfterFunc call.
type Timer = clock.Timer
