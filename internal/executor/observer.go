package executor

import "time"

// Observer receives an Executor's metrics as they change. Its methods are
// called with the executor's lock held, from any goroutine: they must be
// fast, safe for concurrent use, and must not call the Executor.
// Package metrics implements it with Prometheus instruments.
type Observer interface {
	// QueueDepth reports the jobs waiting for a token at priority, new and
	// preempted, whenever that number changes.
	QueueDepth(priority, depth int)
	// Running reports the jobs holding a token, whenever it changes.
	Running(n int)
	// TokenUtilization reports busy of total tokens held, whenever it
	// changes.
	TokenUtilization(busy, total int)
	// Preempted reports that a running job of priority gave its token to
	// a waiting job.
	Preempted(priority int)
	// QueueWait reports how long a job of priority waited between being
	// queued (after any rate-limit wait) and first getting a token.
	QueueWait(priority int, wait time.Duration)
	// RateLimited reports a synchronous job of category refused for being
	// over its rate.
	RateLimited(category string)
	// QueueFull reports a job refused because the queue was full.
	QueueFull()
}

// Stats is a snapshot of an Executor.
type Stats struct {
	Tokens    int // worker tokens
	Busy      int // tokens held by running jobs
	Running   int // jobs holding a token
	Suspended int // preempted jobs waiting for a token to resume
	// Queued counts the jobs waiting for a token at each priority,
	// including the Suspended ones.
	Queued      [levels]int
	RateWaiting int // accepted jobs waiting for a rate token

	Dispatched  uint64 // jobs that got their first token
	Completed   uint64 // jobs that returned or were dropped before running
	Preemptions uint64 // tokens handed over at a Yield
	RateLimited uint64 // synchronous jobs refused with *RateLimitError
	QueueFull   uint64 // jobs refused with *QueueFullError
	PinErrors   uint64 // failed sched_setaffinity calls (the job ran unpinned)
	// MemoryInUse is the memory quotas of the started, unfinished jobs
	// together, what Config.MemoryBudget bounds.
	MemoryInUse int64
}

// QueuedTotal returns the sum of Queued.
func (s Stats) QueuedTotal() int {
	n := 0
	for _, q := range s.Queued {
		n += q
	}
	return n
}

// nopObserver is the Observer of a Config without one.
type nopObserver struct{}

func (nopObserver) QueueDepth(int, int)          {}
func (nopObserver) Running(int)                  {}
func (nopObserver) TokenUtilization(int, int)    {}
func (nopObserver) Preempted(int)                {}
func (nopObserver) QueueWait(int, time.Duration) {}
func (nopObserver) RateLimited(string)           {}
func (nopObserver) QueueFull()                   {}
