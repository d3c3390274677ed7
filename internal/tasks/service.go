package tasks

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errkind"
)

// Errors of the Service, mapped to codes by the error table.
var (
	// ErrNotFound means no task has that id.
	ErrNotFound = errkind.ErrTaskNotFound
	// ErrConflict means the task's state does not allow the operation.
	ErrConflict = errkind.ErrConflict
	// ErrClosed means the service is shutting down.
	ErrClosed = fmt.Errorf("tasks: service closed: %w", errkind.ErrUnavailable)
)

// errShutdown cancels the attempts still running when Close gives up
// waiting: their tasks stay running on disk and are requeued on start-up.
var errShutdown = errors.New("tasks: shutting down")

// Service is the durable task system: it accepts tasks, keeps them in the
// Store, runs each attempt through the Runner (the path synchronous
// invokes take too), retries failures, runs delayed tasks when due and
// recovers every accepted task after a crash. Its methods are safe for
// concurrent use.
//
// # Guarantees
//
// Submit returns only once the task is committed and synced to disk, so a
// task whose submission succeeded is never lost. A task's kv writes are
// not applied as the guest makes them: they are held by the attempt and
// committed in the same bbolt transaction as the attempt's checkpoint
// (at each checkpoint_save) or as its success. So if the process dies
// between a guest's kv_set and the commit of the task's outcome, neither
// the write nor the outcome is on disk; on start-up the task, found
// running, is requeued and its next attempt starts from the last
// checkpoint with the kv state as of that checkpoint. A successful
// attempt's effects are therefore applied exactly once, together with the
// succeeded state. A failed attempt's writes since its last checkpoint are
// dropped, so a retry sees the same state the failed attempt started from.
//
// # Leases
//
// A running attempt holds a lease (Record.LeaseUntil, Config.Lease) that
// the Service renews every Lease/3 for as long as the attempt lives, even
// past its deadline, in one group commit for all running tasks. A running
// record whose lease has ended and that the Service does not hold is
// requeued as start-up recovery would; a task the Service holds is never
// requeued, so no task runs twice at once (see lease.go).
type Service struct {
	cfg    Config
	store  Store
	kv     host.KV
	runner *Runner
	log    *slog.Logger
	clock  Clock
	// owner names this Service in the records of the attempts it runs
	// (Record.Owner): its claims are its own.
	owner  string
	commit *committer
	tx     txState

	runCtx    context.Context // parent of attempts; canceled by Close
	cancelRun context.CancelCauseFunc
	attempts  sync.WaitGroup
	workers   *workers      // where attempts run
	wakeTimer chan struct{} // buffered 1
	stop      chan struct{} // closed by Close
	loops     sync.WaitGroup

	count counters
	// retentionNs overrides cfg.Retention once SetRetention is called (0: not).
	retentionNs atomic.Int64

	mu       sync.Mutex
	active   map[string]*entry // tasks not terminal, and those being committed
	idem     map[string]string // idempotency key → task id
	ready    readyQueue
	timers   timerHeap
	inFlight int
	closed   bool
	started  bool
	seq      uint64
	awaiting int // parents parked in task_await (spawn.go)
}

// entry is a task the service holds in memory: every non-terminal task.
type entry struct {
	rec  Record  // what readers see: the last committed state (or running)
	last *Record // the last record handed to the committer
	// committed is closed once the submission is durable; err is set
	// before if it failed.
	committed chan struct{}
	err       error
	done      chan struct{} // closed when the task is terminal; lazily made
	final     *Record       // the terminal record, set before done is closed
	cancel    context.CancelCauseFunc
	canceling bool
	index     int // in ready or timers, -1 if in neither
	seq       uint64
	progress  atomic.Pointer[[2]int64]
}

// New returns a Service over st. kv is the store the guests' kv imports
// reach (the same bbolt database, which must implement host.KV). Start
// recovers and starts it.
func New(st Store, kv host.KV, r *Runner, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{
		cfg: cfg, store: st, kv: kv, runner: r, log: cfg.Logger, clock: cfg.Clock,
		owner: NewID(), active: map[string]*entry{}, idem: map[string]string{},
		wakeTimer: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	s.runCtx, s.cancelRun = context.WithCancelCause(context.Background())
	s.workers = newWorkers(s.stop)
	return s, nil
}

// Config returns the service's configuration with defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Get returns the record of id, its output included, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Record, error) {
	s.mu.Lock()
	if e, ok := s.active[id]; ok && e.isCommitted() {
		r := s.viewLocked(e)
		s.mu.Unlock()
		return r, nil
	}
	s.mu.Unlock()
	rec, found, err := s.store.Task(id)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return rec, nil
}

// viewLocked is what readers see of an active entry.
func (s *Service) viewLocked(e *entry) Record {
	r := e.rec.clone()
	if p := e.progress.Load(); p != nil {
		r.Progress = *p
	}
	return r
}

// shedInput drops a large input from the entry's records once they are
// durable: it waits on disk (Record.shedInput).
func (e *entry) shedInput() {
	e.rec.shedInput()
	e.last.shedInput()
}

func (e *entry) isCommitted() bool {
	select {
	case <-e.committed:
		return e.err == nil
	default:
		return false
	}
}

// closedChan is a closed channel, for entries committed at birth.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// enqueueLocked puts a committed, non-terminal entry where it waits: the
// timer heap if it is not due, else the ready queue.
func (s *Service) enqueueLocked(e *entry, now time.Time) {
	if e.rec.State == Scheduled && e.rec.RunAt.After(now) {
		heap.Push(&s.timers, e)
		if s.timers.items[0] == e {
			s.kickTimer()
		}
		return
	}
	if e.rec.State == Scheduled {
		s.transitionLocked(e, func(r *Record) { r.moveTo(Queued); r.QueuedAt = now })
	}
	s.seq++
	e.seq = s.seq
	heap.Push(&s.ready, e)
	s.dispatchLocked()
}

// transitionLocked changes e's record and queues the write without
// waiting for it: the next awaited commit makes it durable.
func (s *Service) transitionLocked(e *entry, change func(*Record)) {
	next := e.rec.clone()
	change(&next)
	s.commit.commitAsync(Write{Rec: &next, Prev: e.last})
	e.rec, e.last = next, &next
}

func (s *Service) kickTimer() {
	select {
	case s.wakeTimer <- struct{}{}:
	default:
	}
}

// sleep waits d on the service's clock. It reports false if the service
// stopped first.
func (s *Service) sleep(d time.Duration) bool {
	done := make(chan struct{})
	t := s.clock.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return true
	case <-s.stop:
		t.Stop()
		return false
	}
}
