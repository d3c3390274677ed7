package tasks

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nexustask/nexus/internal/events"
)

// Outcomes is told of every task that ends (succeeded, failed, dead or
// canceled) as its outcome is queued for the group commit, and may add
// writes to that commit through tx: new tasks, side records, events. The
// workflow engine is one. Outcome is called with the Service's
// transaction mutex held, one call at a time, in the order the outcomes
// are queued; it must not call the Service's methods that commit
// (Submit, Cancel, Retry, Transact), nor block.
//
// An error leaves the outcome uncommitted, as a crash would: the task
// stays running on disk and runs again after a restart. Use it only when
// the service is closing.
type Outcomes interface {
	Outcome(tx *Tx, rec *Record) error
}

// SideOp is a write of a side record (a workflow's, say) committed in a
// task transaction: Space names the collection, which the Store must know
// (internal/store knows SpaceWorkflows and SpaceWorkflowSteps).
type SideOp struct {
	Space  string
	Key    []byte
	Value  []byte
	Delete bool
}

// Side record collections a Store keeps for the workflow engine.
const (
	SpaceWorkflows     = "workflows"
	SpaceWorkflowDefs  = "workflow_defs"
	SpaceWorkflowSteps = "workflow_steps"
)

// Tx gathers writes that commit in one transaction with a task's outcome
// (Outcomes) or alone (Service.Transact): tasks created, side records,
// events. It is used by one goroutine, and only until the function it was
// given to returns.
type Tx struct {
	s        *Service
	ctx      context.Context
	pending  []*pendingTask
	side     []SideOp
	events   []*events.Event
	onCommit []func(error)
	// early: the new tasks were queued before the commit was durable.
	early bool
}

// Submit prepares a new task from spec, created when the transaction
// commits and queued once it is durable. The spec's idempotency key is
// ignored. It returns the task's record as it will be stored.
func (tx *Tx) Submit(spec Spec) (Record, error) {
	spec.IdempotencyKey = ""
	p, _, err := tx.s.prepare(tx.ctx, spec, false)
	if err != nil {
		return Record{}, err
	}
	tx.pending = append(tx.pending, p)
	return p.r.clone(), nil
}

// Put writes value at key of space in the transaction.
func (tx *Tx) Put(space string, key, value []byte) {
	tx.side = append(tx.side, SideOp{Space: space, Key: key, Value: value})
}

// Delete removes key of space in the transaction.
func (tx *Tx) Delete(space string, key []byte) {
	tx.side = append(tx.side, SideOp{Space: space, Key: key, Delete: true})
}

// Event appends e to the event log in the transaction (if the Service
// has events on; else it is dropped).
func (tx *Tx) Event(e *events.Event) {
	if tx.s.cfg.Events {
		if e.Node == "" {
			e.Node = tx.s.cfg.Node
		}
		e.Encode()
		tx.events = append(tx.events, e)
	}
}

// OnCommit calls fn with the transaction's result once it is known
// (nil: durable), before the new tasks are queued.
func (tx *Tx) OnCommit(fn func(error)) { tx.onCommit = append(tx.onCommit, fn) }

// Now is the Service's clock.
func (tx *Tx) Now() time.Time { return tx.s.clock.Now() }

// writes returns the transaction's writes after ws: the new records, then
// one write carrying the side records and events.
func (tx *Tx) writes(ws []Write) []Write {
	for _, p := range tx.pending {
		ws = append(ws, Write{Rec: p.r})
	}
	if len(tx.side) > 0 || len(tx.events) > 0 {
		ws = append(ws, Write{Side: tx.side, Events: tx.events})
	}
	return ws
}

// settle finishes the transaction once its commit returned err.
func (tx *Tx) settle(err error) {
	for _, fn := range tx.onCommit {
		fn(err)
	}
	if tx.early {
		if err != nil && len(tx.pending) > 0 {
			// Their records were not written: their claims and outcomes
			// will be refused as stale, and dropped with their effects.
			tx.s.log.Warn("task: the outcome that created tasks early did not commit", "tasks", len(tx.pending), "err", err)
		}
		// A large input stays in memory until the task ends: cheaper
		// than racing the attempt that may already hold it.
		return
	}
	for _, p := range tx.pending {
		tx.s.settle(p, err)
	}
}

// txState is the Service's part of transactions.
type txState struct {
	// mu is held while a transaction is built and queued, so the group
	// commit holds them in the order they were built.
	mu       sync.Mutex
	outcomes Outcomes
}

// SetOutcomes installs o, before Start.
func (s *Service) SetOutcomes(o Outcomes) { s.tx.outcomes = o }

// Transact builds a transaction with fn and commits it durably, creating
// the tasks fn submitted and queuing them once it is. If fn fails nothing
// is committed.
func (s *Service) Transact(ctx context.Context, fn func(*Tx) error) error {
	s.tx.mu.Lock()
	tx := &Tx{s: s, ctx: ctx}
	err := fn(tx)
	var done <-chan error
	if err == nil {
		done, err = s.commit.commitLater(tx.writes(nil)...)
	}
	s.tx.mu.Unlock()
	if err == nil {
		err = <-done
	}
	tx.settle(err)
	return err
}

// errNoOutcome marks an outcome the Outcomes hook refused.
var errNoOutcome = errors.New("tasks: outcome hook refused")

// startOutcome queues the commit of w, with the writes the Outcomes hook
// adds if w ends its task. The caller waits on done and then settles tx
// (nil if there was no hook).
func (s *Service) startOutcome(w Write) (ws []Write, tx *Tx, done <-chan error, err error) {
	if s.tx.outcomes == nil || w.Rec == nil || !w.Rec.State.Terminal() {
		done, err = s.commit.commitLater(w)
		return []Write{w}, nil, done, err
	}
	s.tx.mu.Lock()
	defer s.tx.mu.Unlock()
	tx = &Tx{s: s, ctx: context.Background()}
	rec := w.Rec.clone()
	if err := s.tx.outcomes.Outcome(tx, &rec); err != nil {
		tx.settle(errors.Join(errNoOutcome, err))
		return nil, nil, nil, errors.Join(ErrClosed, err)
	}
	ws = tx.writes([]Write{w})
	done, err = s.commit.commitLater(ws...)
	if err != nil {
		tx.settle(err)
		return nil, nil, nil, err
	}
	if len(w.KV) == 0 {
		// The new tasks start now, while the outcome is being committed:
		// every write of theirs is queued after it, so none is durable
		// before it (a crash loses them with it, and the outcome runs
		// again). Not after an outcome with kv writes, which a new task
		// reading kv must see.
		tx.early = true
		for _, p := range tx.pending {
			s.settleShed(p, nil, false)
		}
	}
	return ws, tx, done, nil
}
