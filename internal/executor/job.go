package executor

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Job is one unit of work for an Executor.
type Job struct {
	// ID names the job in errors and events; the executor does not need it.
	ID string
	// Priority runs from MinPriority to MaxPriority; higher runs first.
	Priority int
	// Category is the fair-share and rate-limit key (a tenant, a module);
	// "" means DefaultCategory.
	Category string
	// NUMANode is the preferred NUMA node of the job's token, or AnyNode.
	// It is a preference: with no free token on that node, any free token
	// is taken rather than waiting.
	NUMANode int
	// Sync marks a synchronous invoke: over its category's rate it waits
	// at most Config.SyncRateWait, then fails with *RateLimitError. Other
	// jobs wait for their rate token as long as it takes.
	Sync bool
	// QueueTimeout, if positive, bounds how long the job may wait to
	// start, from its submission (a rate wait included) to its first
	// token: a job still waiting then leaves the queue and fails with a
	// *QueueTimeoutError. Time suspended by preemption does not count.
	QueueTimeout time.Duration
	// MemoryBytes is the job's memory quota, counted against
	// Config.MemoryBudget from its start to its end; 0 means
	// Config.DefaultMemoryBytes.
	MemoryBytes int64
	// Run does the work. It runs while the job holds a token, on a
	// goroutine locked to an OS thread pinned to the token's CPU (Do's
	// caller, or a goroutine of its own for Submit), and should call
	// y.Yield from that goroutine, and only there, at regular points (a
	// host.Runtime does at every fuel slice: pass y as
	// host.Request.Yielder). Yield may block to preempt the job and re-pin
	// the thread when it resumes. ctx is canceled by Handle.Cancel, the
	// submitter's ctx and Close.
	Run func(ctx context.Context, y Yielder) error
	// OnPreempt, if set, is called on Run's goroutine each time the job is
	// preempted, just before it blocks (to record an event). It must not
	// block.
	OnPreempt func()
	// OnPreemptBy, if set, is called right after OnPreempt with the ID of
	// the job that took the token (for a trace event). It must not block.
	OnPreemptBy func(id string)
}

func (j *Job) validate() error {
	switch {
	case j.Run == nil:
		return fmt.Errorf("%w %q: no Run", ErrInvalidJob, j.ID)
	case j.Priority < MinPriority || j.Priority > MaxPriority:
		return fmt.Errorf("%w %q: priority %d not in %d..%d", ErrInvalidJob, j.ID, j.Priority, MinPriority, MaxPriority)
	case j.NUMANode < AnyNode:
		return fmt.Errorf("%w %q: NUMA node %d", ErrInvalidJob, j.ID, j.NUMANode)
	case j.QueueTimeout < 0 || j.MemoryBytes < 0:
		return fmt.Errorf("%w %q: negative queue timeout or memory quota", ErrInvalidJob, j.ID)
	}
	return nil
}

// Yielder is how a running job offers its token: Yield is called at every
// fuel-slice boundary. It is structurally identical to host.Yielder.
type Yielder interface {
	// Yield returns at once unless the job is to be preempted; then it
	// blocks until the job has a token again, or ctx is done (returning
	// its cause).
	Yield(ctx context.Context) error
}

// Handle is a submitted job. Its methods are safe for concurrent use.
type Handle struct{ t *task }

// Done is closed when the job has finished: run, failed, canceled or
// dropped by Close.
func (h *Handle) Done() <-chan struct{} { return h.t.done }

// Err returns the job's outcome once Done is closed (nil before): Run's
// error, or the cause that removed it from the queue (context.Canceled,
// context.DeadlineExceeded, ErrClosed).
func (h *Handle) Err() error {
	select {
	case <-h.t.done:
		return h.t.err
	default:
		return nil
	}
}

// Cancel cancels the job: a waiting job is removed from the queue, a
// running one has its ctx canceled and stops at its next Yield.
func (h *Handle) Cancel() { h.t.cancel(context.Canceled) }

// Preemptions returns how many times the job has been preempted so far.
func (h *Handle) Preemptions() int { return int(h.t.preemptions.Load()) }

// state is where a task is in its life.
type state uint8

const (
	stateNew       state = iota // not yet accepted
	stateRateWait               // waiting for a rate token
	stateQueued                 // waiting for its first token
	stateRunning                // holding a token (or canceled while suspended)
	stateSuspended              // preempted, waiting for a token to resume
	stateDone
)

// task is a job inside the executor.
type task struct {
	e      *Executor
	job    Job
	prio   int
	cat    string
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   func() bool   // unregisters the ctx watcher; nil for Do's jobs
	done   chan struct{} // closed after err is set
	err    error
	resume chan *token // a suspended task's next token; buffered 1

	preemptions atomic.Int32 // also read by Handle

	// Guarded by Executor.mu.
	state     state
	started   bool // has held a token
	tok       *token
	startNode int // node of its first token: where its memory was first touched
	queuedAt  time.Time
	inLevel   elem
	inFlow    elem
	inLive    elem
	flow      *flow
	timer     Timer
	res       *rate.Reservation
	qtimer    Timer // fires at the job's queue timeout; nil without one
	mem       int64 // memory quota counted against the budget once started

	inline bool // Do's caller runs it
	// cpuHint is the CPU whose token the job prefers if it is free at
	// submission (Do's caller's CPU then), or -1.
	cpuHint int

	// Owned by the goroutine running the job.
	th        thread
	slotStart time.Time // when it got its current token
}
