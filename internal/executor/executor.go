package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexustask/nexus/internal/clock"
	"golang.org/x/time/rate"
)

// Executor runs jobs on worker tokens by priority, fair share and rate.
// Its methods are safe for concurrent use.
type Executor struct {
	cfg        Config
	clock      Clock
	obs        Observer
	topo       Topology
	limiters   map[string]*rate.Limiter // guarded by mu; replaced whole by SetRates
	capacity   int
	preemptive bool // Preemption or Quantum: hint is maintained

	// hint is the highest priority waiting for a token while none is free,
	// or -1: what Yield loads on its fast path.
	hint      atomic.Int32
	pinErrors atomic.Uint64
	async     sync.WaitGroup // goroutines running submitted jobs
	drained   chan struct{}  // closed once closed and no job is left

	mu          sync.Mutex
	q           queue
	tokens      []*token
	free        []*token
	live        list // every accepted, unfinished task, via inLive
	pending     int  // accepted jobs not yet started (rate-waiting or queued)
	rateWaiting int
	memUsed     int64 // memory quotas of the started, unfinished jobs
	running     int
	suspended   int
	parked      int // jobs in Parker.Park, holding no token
	closed      bool
	meanRun     time.Duration
	lastBusy    int
	lastRunning int
	weights     map[string]int // Config.Weights, replaced whole by SetWeights

	dispatched, completed, preemptions, rateLimited, queueFull uint64
}

// errRateWait is admitRateLocked's "parked until the rate allows".
var errRateWait = errors.New("executor: waiting for a rate token")

// New returns an Executor with one token per worker, pinned as cfg says.
func New(cfg Config) (*Executor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cpus, err := tokenCPUs(cfg.CPUs)
	if err != nil {
		return nil, err
	}
	topo, err := ReadTopology(cfg.SysfsRoot)
	if err != nil {
		return nil, err
	}
	e := &Executor{
		cfg:        cfg,
		clock:      cfg.Clock,
		obs:        cfg.Observer,
		topo:       topo,
		limiters:   newLimiters(cfg.Rates),
		capacity:   cfg.QueueCapacity,
		preemptive: cfg.Preemption || cfg.Quantum > 0,
		drained:    make(chan struct{}),
	}
	if e.clock == nil {
		e.clock = clock.Real{}
	}
	if e.obs == nil {
		e.obs = nopObserver{}
	}
	if e.capacity == 0 {
		e.capacity = DefaultQueueCapacity
	}
	e.q.aging = cfg.AgingInterval
	e.weights = cfg.Weights
	e.q.weight = func(cat string) int {
		if w, ok := e.weights[cat]; ok {
			return w
		}
		return 1
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = len(cpus)
	}
	for i := range workers {
		cpu := cpus[i%len(cpus)]
		e.tokens = append(e.tokens, &token{id: i, cpu: cpu, node: max(topo.NodeOf(cpu), 0)})
	}
	e.free = slices.Clone(e.tokens)
	slices.Reverse(e.free) // token 0 is taken first
	e.hint.Store(-1)
	e.obs.TokenUtilization(0, len(e.tokens))
	return e, nil
}

// tokenCPUs returns the CPUs to pin tokens to: want, each checked against
// the affinity mask, or the whole mask.
func tokenCPUs(want []int) ([]int, error) {
	allowed, err := allowedCPUs()
	if err != nil {
		return nil, fmt.Errorf("executor: affinity mask: %w", err)
	}
	if len(allowed) == 0 {
		return nil, errors.New("executor: empty affinity mask")
	}
	if len(want) == 0 {
		return allowed, nil
	}
	for _, cpu := range want {
		if _, ok := slices.BinarySearch(allowed, cpu); !ok && pinning {
			return nil, fmt.Errorf("executor: CPU %d is not in the process's affinity mask %v", cpu, allowed)
		}
	}
	return want, nil
}

// Topology returns the NUMA topology the tokens were placed with.
func (e *Executor) Topology() Topology { return e.topo }

// Do submits j and waits until it has finished. It returns Run's error,
// or *QueueFullError, *RateLimitError, ErrClosed, ErrInvalidJob, or ctx's
// cause if ctx ends while j waits (j is then removed from the queue). If
// ctx ends while j runs, Run's ctx is canceled and Do waits for Run.
//
// The job runs on the calling goroutine, locked to its thread and pinned
// from its first Yield (Config.PinAtStart: from its start) to its end.
func (e *Executor) Do(ctx context.Context, j Job) error {
	t, err := e.submit(ctx, j, true)
	if err != nil {
		return err
	}
	select {
	case <-t.resume: // its first token
		e.runTask(t)
	case <-t.done: // dropped while waiting
	case <-t.ctx.Done():
		// Here rather than in a context.AfterFunc, which costs a
		// registration with the context per job: Do's caller is waiting
		// anyway. Unless it got a token meanwhile, the job leaves the queue.
		e.cancelWaiting(t)
		select {
		case <-t.resume:
			e.runTask(t) // it returns at once with the cause
		case <-t.done:
		}
	}
	return t.err
}

// Submit queues j and returns at once. ctx governs the job's whole life,
// not only the call: canceling it removes a waiting job or cancels a
// running one, so pass a context that lives as long as the job should.
// Over its category's rate an asynchronous job waits for its token (a
// Sync one fails after SyncRateWait); it counts against QueueCapacity
// meanwhile.
func (e *Executor) Submit(ctx context.Context, j Job) (*Handle, error) {
	t, err := e.submit(ctx, j, false)
	if err != nil {
		return nil, err
	}
	return &Handle{t: t}, nil
}

// submit admits j; inline means the caller will run it (Do).
func (e *Executor) submit(ctx context.Context, j Job, inline bool) (*task, error) {
	if err := j.validate(); err != nil {
		return nil, err
	}
	mem := j.MemoryBytes
	if mem == 0 {
		mem = e.cfg.DefaultMemoryBytes
	}
	if err := e.checkMemory(j.ID, mem); err != nil {
		return nil, err
	}
	t := &task{e: e, job: j, prio: j.Priority, cat: j.Category, inline: inline,
		done: make(chan struct{}), resume: make(chan *token, 1), cpuHint: -1, mem: mem}
	if inline && pinning && e.cfg.PinAtStart {
		// Do's caller runs it, here if the token is free. (Pinned only at
		// its first Yield, a job is rarely still on this CPU by then.)
		t.cpuHint = currentCPU()
	}
	if t.cat == "" {
		t.cat = DefaultCategory
	}
	t.inLevel.t, t.inFlow.t, t.inLive.t = t, t, t
	t.ctx, t.cancel = context.WithCancelCause(ctx)
	if !inline { // Do watches the context itself
		t.stop = context.AfterFunc(t.ctx, func() { e.cancelWaiting(t) })
	}

	e.mu.Lock()
	err := e.acceptLocked(t)
	e.mu.Unlock()
	if err != nil && err != errRateWait {
		t.unwatch()
		t.cancel(nil)
		return nil, err
	}
	return t, nil
}

// CheckMemory reports whether a job with a memory quota of bytes (0: the
// default quota) could ever start: with Config.MemoryBudget it fails,
// wrapping ErrInvalidJob, for a quota larger than the whole budget, as
// Submit and Do would. Callers that accept work to run later (durable
// tasks) check it at acceptance.
func (e *Executor) CheckMemory(bytes int64) error {
	if bytes == 0 {
		bytes = e.cfg.DefaultMemoryBytes
	}
	return e.checkMemory("", bytes)
}

func (e *Executor) checkMemory(id string, bytes int64) error {
	if b := e.cfg.MemoryBudget; b > 0 && bytes > b {
		return fmt.Errorf("%w %q: memory quota of %d bytes exceeds the server's memory budget of %d bytes for all running tasks",
			ErrInvalidJob, id, bytes, b)
	}
	return nil
}

// acceptLocked admits t or says why not.
func (e *Executor) acceptLocked(t *task) error {
	if e.closed {
		return ErrClosed
	}
	if err := t.ctx.Err(); err != nil {
		return context.Cause(t.ctx)
	}
	if e.pending >= e.capacity {
		e.queueFull++
		e.obs.QueueFull()
		return &QueueFullError{Capacity: e.capacity, RetryAfter: e.retryAfterLocked()}
	}
	if err := e.admitRateLocked(t); err != nil {
		if err == errRateWait {
			e.pending++
			e.live.pushBack(&t.inLive)
			e.armQueueTimeoutLocked(t)
		}
		return err
	}
	e.pending++
	e.live.pushBack(&t.inLive)
	e.armQueueTimeoutLocked(t)
	e.enqueueLocked(t)
	return nil
}

// armQueueTimeoutLocked starts the clock of t's Job.QueueTimeout, if it
// has one; assignLocked stops it when t starts.
func (e *Executor) armQueueTimeoutLocked(t *task) {
	if d := t.job.QueueTimeout; d > 0 {
		t.qtimer = e.clock.AfterFunc(d, func() {
			e.dropWaiting(t, &QueueTimeoutError{Timeout: d})
		})
	}
}

// retryAfterLocked estimates when the queue will have room.
func (e *Executor) retryAfterLocked() time.Duration {
	if e.meanRun == 0 {
		return time.Second
	}
	d := e.meanRun * time.Duration(e.pending) / time.Duration(len(e.tokens))
	return min(max(d, time.Millisecond), time.Minute)
}

// enqueueLocked queues a new task and dispatches.
func (e *Executor) enqueueLocked(t *task) {
	t.state = stateQueued
	e.q.push(t, e.clock.Now(), false)
	e.dispatchLocked()
}

// dispatchLocked hands free tokens to waiting tasks and refreshes the
// preemption hint and the observer.
func (e *Executor) dispatchLocked() {
	for len(e.free) > 0 && e.q.n > 0 {
		t := e.popFitLocked(e.clock.Now())
		if t == nil {
			break // the next job waits for memory, and nothing overtakes it
		}
		tok := e.takeTokenLocked(t.preferredNode(), t.cpuHint)
		e.launchLocked(t, tok, e.assignLocked(t, tok))
	}
	e.settleLocked()
}

// popFitLocked removes and returns the next job in order if its memory
// quota fits the budget; nil if the queue is empty or its next job must
// wait for memory to be released (see Config.MemoryBudget).
func (e *Executor) popFitLocked(now time.Time) *task {
	if e.cfg.MemoryBudget == 0 {
		return e.q.pop(now)
	}
	p := e.q.next(now)
	if p < 0 || !e.fitsLocked(e.q.levels[p].fs.peek()) {
		return nil
	}
	return e.q.popLevel(p)
}

// fitsLocked reports whether t may take a token as far as the memory
// budget goes: a started (suspended) job holds its quota already.
func (e *Executor) fitsLocked(t *task) bool {
	return e.cfg.MemoryBudget == 0 || t.started || e.memUsed+t.mem <= e.cfg.MemoryBudget
}

// preferredNode is the node a task's token should be on: where its memory
// lives once it has run, else the job's preference.
func (t *task) preferredNode() int {
	if t.started {
		return t.startNode
	}
	return t.job.NUMANode
}

// assignLocked gives tok to a task taken off the queue and reports
// whether the task is resuming from a preemption.
func (e *Executor) assignLocked(t *task, tok *token) (resuming bool) {
	resuming = t.state == stateSuspended
	if resuming {
		e.suspended--
	} else {
		e.pending--
		e.dispatched++
		e.memUsed += t.mem
		if t.qtimer != nil {
			t.qtimer.Stop()
			t.qtimer = nil
		}
		t.started, t.startNode = true, tok.node
		e.obs.QueueWait(t.prio, e.clock.Now().Sub(t.queuedAt))
	}
	t.state, t.tok = stateRunning, tok
	e.running++
	return resuming
}

// launchLocked sets an assigned task going: a suspended one, or one whose
// Do caller waits to run it, gets its token through its resume channel;
// a submitted one gets a goroutine.
func (e *Executor) launchLocked(t *task, tok *token, resuming bool) {
	if resuming || t.inline {
		t.resume <- tok
		return
	}
	e.async.Add(1)
	go func() {
		defer e.async.Done()
		e.runTask(t)
	}()
}

// settleLocked refreshes the preemption hint and reports changed figures.
func (e *Executor) settleLocked() {
	if e.preemptive {
		h := int32(-1)
		if len(e.free) == 0 {
			h = int32(e.q.top())
			if h >= 0 && !e.fitsLocked(e.q.levels[h].fs.peek()) {
				h = -1 // preempting for it would not let it start
			}
		}
		e.hint.Store(h)
	}
	for p := 0; e.q.dirty != 0; p++ {
		if e.q.dirty&(1<<p) != 0 {
			e.q.dirty &^= 1 << p
			e.obs.QueueDepth(p, e.q.depth(p))
		}
	}
	if busy := len(e.tokens) - len(e.free); busy != e.lastBusy {
		e.lastBusy = busy
		e.obs.TokenUtilization(busy, len(e.tokens))
	}
	if e.running != e.lastRunning {
		e.lastRunning = e.running
		e.obs.Running(e.running)
	}
}

// runTask runs t, which holds a token, on the calling goroutine.
func (e *Executor) runTask(t *task) {
	if e.cfg.PinAtStart {
		e.wire(t)
	}
	t.slotStart = e.clock.Now()
	start := time.Now()
	err := t.call()
	d := time.Since(start)
	t.th.unlock()

	e.mu.Lock()
	e.finishLocked(t, d)
	e.mu.Unlock()
	t.complete(err)
}

// call runs the job, turning a panic into an error so that the token is
// not lost.
func (t *task) call() (err error) {
	if t.ctx.Err() != nil {
		return context.Cause(t.ctx) // canceled as it was dispatched
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("executor: job %q panicked: %v", t.job.ID, v)
		}
	}()
	return t.job.Run(t.ctx, t)
}

// finishLocked retires a task that returned from Run and passes its
// token on.
func (e *Executor) finishLocked(t *task, d time.Duration) {
	e.meanRun += (d - e.meanRun) / 8
	tok := t.tok
	t.tok, t.state = nil, stateDone
	e.retireLocked(t)
	e.memUsed -= t.mem // it started: assignLocked counted its quota
	if tok != nil {    // nil: canceled while suspended, it held no token
		e.running--
		if x := e.popFitLocked(e.clock.Now()); x != nil {
			e.launchLocked(x, tok, e.assignLocked(x, tok))
		} else {
			e.free = append(e.free, tok)
		}
	}
	// The memory released may let waiting jobs start on idle tokens.
	e.dispatchLocked()
}

// retireLocked forgets a finished or dropped task.
func (e *Executor) retireLocked(t *task) {
	e.live.remove(&t.inLive)
	e.completed++
	e.checkDrainedLocked()
}

func (e *Executor) checkDrainedLocked() {
	if e.closed && e.live.n == 0 {
		select {
		case <-e.drained:
		default:
			close(e.drained)
		}
	}
}

// complete publishes t's outcome.
func (t *task) complete(err error) {
	t.err = err
	t.unwatch()
	t.cancel(context.Canceled) // release the context's resources
	close(t.done)
}

// unwatch stops watching t's ctx, if submit started to.
func (t *task) unwatch() {
	if t.stop != nil {
		t.stop()
	}
}

// cancelWaiting runs when t's ctx is done: a task not yet started leaves
// the queue or its rate wait. Running and suspended tasks see the ctx
// themselves.
func (e *Executor) cancelWaiting(t *task) { e.dropWaiting(t, nil) }

// dropWaiting removes t from the queue or its rate wait, if it has not
// started, and completes it with cause (nil: its ctx's cause).
func (e *Executor) dropWaiting(t *task, cause error) {
	e.mu.Lock()
	switch t.state {
	case stateRateWait:
		e.dropRateWaitLocked(t)
	case stateQueued:
		e.q.remove(t)
	default:
		e.mu.Unlock()
		return
	}
	e.pending--
	t.state = stateDone
	if t.qtimer != nil {
		t.qtimer.Stop()
		t.qtimer = nil
	}
	e.retireLocked(t)
	e.dispatchLocked() // a job that waited for memory behind t may fit now
	e.mu.Unlock()
	if cause == nil {
		cause = context.Cause(t.ctx)
	}
	t.complete(cause)
}

// Close stops accepting jobs (Submit and Do return ErrClosed) and lets the
// queued, rate-waiting, running and suspended jobs finish. If ctx ends
// first, it cancels them all with cause ErrClosed (waiting ones finish
// with ErrClosed, running ones stop at their next Yield) and returns
// ctx's error once they have returned. Close may be called more than
// once.
func (e *Executor) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.checkDrainedLocked()
	e.mu.Unlock()
	var err error
	select {
	case <-e.drained:
	case <-ctx.Done():
		err = ctx.Err()
		e.mu.Lock()
		e.live.each(func(t *task) { t.cancel(ErrClosed) })
		e.mu.Unlock()
		<-e.drained
	}
	e.async.Wait()
	return err
}

// GOMAXPROCS is the number of Ps a process running e should have: one more
// than the worker tokens. With every token running a CPU-bound guest on a
// locked thread, other goroutines (HTTP handlers, timers, submissions, the
// group commit) still get a P at once, instead of waiting for the Go
// scheduler to preempt a guest's goroutine; it takes the preemption
// latency's p99 from about 3.6 ms to 0.24 ms (bench/RESULTS.md).
func (e *Executor) GOMAXPROCS() int { return len(e.tokens) + 1 }

// GCPercent is the garbage collector's target (GOGC) for a process running
// an executor, unless GOGC says otherwise (`nexus serve --gc-percent`). The
// live heap is small (tens of MB) and short tasks allocate fast, so Go's
// default of 100 spends a large share of the CPU collecting: 400 took
// trivial durable tasks end to end from 14–19k to 20–24k per second on 2
// cores, for a peak RSS of 189 MB instead of 106 MB (bench/RESULTS.md).
const GCPercent = 400

// Stats returns a snapshot of the executor.
func (e *Executor) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{
		Tokens:      len(e.tokens),
		Busy:        len(e.tokens) - len(e.free),
		Running:     e.running,
		Suspended:   e.suspended,
		RateWaiting: e.rateWaiting,
		Dispatched:  e.dispatched,
		Completed:   e.completed,
		Preemptions: e.preemptions,
		RateLimited: e.rateLimited,
		QueueFull:   e.queueFull,
		PinErrors:   e.pinErrors.Load(),
		MemoryInUse: e.memUsed,
	}
	for p := range s.Queued {
		s.Queued[p] = e.q.depth(p)
	}
	return s
}
