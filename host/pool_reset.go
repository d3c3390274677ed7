package host

import (
	"context"
	"errors"
	"sync"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/internal/snapshot"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// DefaultResetIdle is how many idle reset instances a module keeps per
// name when Config.ResetIdle is 0.
const DefaultResetIdle = 8

// Reasons a fresh-isolation task did not run in a reset instance, or an
// instance was closed instead of reset: the label values of
// InstanceStats.ResetFallbacks. See RATIONALE.md, "Instance reset".
const (
	// ResetGrants: the task has grants, which configure its instance.
	ResetGrants = "grants"
	// ResetTableWrite: the module's code can change a table or an element
	// segment, which the host cannot restore.
	ResetTableWrite = "table_write"
	// ResetNoPristine: the module's pristine state cannot be captured
	// (passive data segments, no memory, a start function that calls the
	// task's imports...).
	ResetNoPristine = "no_pristine"
	// ResetPreparing: the pristine state is being captured; the task ran
	// in a new instance meanwhile.
	ResetPreparing = "preparing"
	// ResetLimits: the task's fuel budget or memory quota does not fit
	// the pristine state.
	ResetLimits = "limits"
	// ResetPoolEmpty: no idle instance was left; the task made one.
	ResetPoolEmpty = "pool_empty"
	// ResetTrap, ResetFuel, ResetMemoryLimit, ResetOutputLimit,
	// ResetTimeout and ResetCanceled: the task did not return from
	// nexus_run, so its instance was closed.
	ResetTrap        = "trap"
	ResetFuel        = "fuel"
	ResetMemoryLimit = "memory_limit"
	ResetOutputLimit = "output_limit"
	ResetTimeout     = "timeout"
	ResetCanceled    = "canceled"
	// ResetExit: the task called proc_exit, which ends the instance (a
	// wasi-command compiled from Go always does).
	ResetExit = "exit"
	// ResetWASIState: the task called a WASI function that changes the
	// instance's WASI state, which cannot be rebuilt in place.
	ResetWASIState = "wasi_state"
	// ResetMemoryGrown: the task grew memory, which cannot shrink back.
	ResetMemoryGrown = "memory_grown"
	// ResetBudget: keeping the instance would pass Config.ReadyBytes or
	// Config.ResetIdle.
	ResetBudget = "budget"
	// ResetPressure: the system is short of memory; idle instances are
	// released and none is kept.
	ResetPressure = "pressure"
	// ResetRetired: the instance was made from a snapshot since replaced.
	ResetRetired = "retired"
	// ResetFailed: restoring the memory failed.
	ResetFailed = "reset_failed"
	// ResetUnreusable: the last resetGiveUp instances of the module and
	// name were all closed after their task (exit, wasi_state or
	// memory_grown: a Go wasi-command always exits, say), so the task ran
	// in a new instance without trying; one task in resetRetry still
	// tries.
	ResetUnreusable = "unreusable"
)

// resetGiveUp and resetRetry: after resetGiveUp instances in a row closed
// after their task for what the task did (not for how it failed), a
// module and name stop making reset instances but for one task in
// resetRetry.
const (
	resetGiveUp = 16
	resetRetry  = 64
)

// resetReasons lists every reason, in the order InstanceStats reports
// them.
var resetReasons = [...]string{
	ResetGrants, ResetTableWrite, ResetNoPristine, ResetPreparing, ResetLimits,
	ResetPoolEmpty, ResetTrap, ResetFuel, ResetMemoryLimit, ResetOutputLimit, ResetTimeout,
	ResetCanceled, ResetExit, ResetWASIState, ResetMemoryGrown, ResetBudget, ResetPressure, ResetRetired,
	ResetFailed, ResetUnreusable,
}

// resetInstance is an instance of a module's restore module kept across
// tasks and reset to its pristine state between them.
type resetInstance struct {
	mod     api.Module
	state   *snapshotState // the pristine state it resets to
	madeFor uint64         // the memory quota its region was made for
	quota   *quota
	mem     *imageMemory
	io      *instanceIO
	src     *snapshot.Sources
	globals []api.MutableGlobal // the restore module's mutable globals, as state.code.globals
	fuel    api.Global          // the fuel global (also among globals)
	bytes   int64               // its linear memory, counted in Runtime.resetBytes while idle
}

// resetPool holds the idle reset instances of one module and name.
type resetPool struct {
	mu         sync.Mutex
	idle       []*resetInstance
	closed     bool
	registered bool // in the runtime's resetPools
}

// runReset runs t in a reset instance of m when that is equivalent to a
// new instance, and reports whether it did; otherwise it counts why not
// and the caller starts t as before.
func (r *Runtime) runReset(ctx context.Context, m *Module, ns *nsState, t *task, lim Limits) (bool, error) {
	s, reason := r.pristine(m, ns)
	if s == nil {
		r.counts.resetFallback(reason)
		return false, nil
	}
	if !s.fits(lim) {
		r.counts.resetFallback(ResetLimits)
		return false, nil
	}
	if ns.resetMisses.Load() >= resetGiveUp && ns.resetSkips.Add(1)%resetRetry != 0 {
		r.counts.resetFallback(ResetUnreusable)
		return false, nil
	}
	w := ns.reset.take(uint64(lim.MemoryBytes), s, r)
	if w != nil {
		r.counts.reset.Add(1)
		t.source = SourceReset
		t.meter.given, t.meter.used = s.given, s.used
		t.meter.global = w.fuel
	} else {
		r.counts.resetFallback(ResetPoolEmpty)
		var err error
		if w, err = r.newReset(ctx, m, ns, t, s, uint64(lim.MemoryBytes)); err != nil {
			return true, err
		}
		if s.initialised {
			r.counts.restored.Add(1)
			t.source = SourceSnapshot
		} else {
			r.counts.fresh.Add(1)
			t.source = SourceFresh
		}
	}
	w.io.t = t
	w.quota.limit = uint64(lim.MemoryBytes)
	err := r.call(ctx, m, t, w.mod, !s.initialised && hasExport(m.exports, abi.ExportInitialize))
	w.io.t, w.io.inOff = nil, 0
	if w.quota.refused.Load() {
		t.mem.refused.Store(true)
	}
	if reason := r.reusable(ctx, t, w, err); reason != "" {
		r.counts.resetFallback(reason)
		if reason == ResetExit || reason == ResetWASIState || reason == ResetMemoryGrown {
			ns.resetMisses.Add(1)
		}
		w.mod.Close(context.WithoutCancel(ctx))
		return true, err
	}
	ns.resetMisses.Store(0)
	r.keepReset(ns, w)
	return true, err
}

// reusable returns "" if w may be reset for another task after t ended
// with err (what call returned), or why not.
func (r *Runtime) reusable(ctx context.Context, t *task, w *resetInstance, err error) string {
	var te *TaskError
	var exit *sys.ExitError
	switch {
	case t.out.Exceeded():
		return ResetOutputLimit
	case errors.As(err, &exit):
		return ResetExit
	case err != nil && !errors.As(err, &te):
		return resetFailure(ctx, t, err)
	case ctx.Err() != nil:
		return ResetCanceled
	case t.wasiState:
		return ResetWASIState
	case uint64(w.mod.Memory().Size()) != uint64(len(w.state.memory)):
		return ResetMemoryGrown
	}
	return ""
}

// resetFailure names how a task that did not return from nexus_run ended.
func resetFailure(ctx context.Context, t *task, err error) string {
	var fe *FuelError
	switch err = t.classify(ctx, err); {
	case errors.As(err, &fe):
		return ResetFuel
	case errors.Is(err, ErrTimeout):
		return ResetTimeout
	case errors.Is(err, ErrCanceled):
		return ResetCanceled
	case errors.Is(err, ErrMemoryLimit):
		return ResetMemoryLimit
	case errors.Is(err, ErrOutputLimit):
		return ResetOutputLimit
	}
	return ResetTrap
}

// newReset makes a reset instance of m's pristine state s for a task t
// with memory quota limit: a restored instance whose memory, globals and
// deterministic sources it keeps handles on.
func (r *Runtime) newReset(ctx context.Context, m *Module, ns *nsState, t *task, s *snapshotState, limit uint64) (*resetInstance, error) {
	w := &resetInstance{state: s, madeFor: limit, quota: &quota{limit: limit}, io: &instanceIO{t: t}}
	cfg := ns.base.WithStderr(ioErr{w.io})
	if m.profile == abi.ProfileWASICommand {
		cfg = cfg.WithStdin(ioIn{w.io}).WithStdout(ioOut{w.io})
	}
	alloc := &imageAllocator{q: w.quota, s: s}
	mod, src, err := r.restoreWith(ctx, t, s, cfg, alloc)
	if err != nil {
		return nil, err
	}
	w.mod, w.src, w.mem = mod, src, alloc.last
	w.globals = make([]api.MutableGlobal, len(s.code.globals))
	for i, name := range s.code.globals {
		w.globals[i], _ = mod.ExportedGlobal(name).(api.MutableGlobal)
	}
	w.fuel = mod.ExportedGlobal(fuel.ExportFuelGlobal)
	w.bytes = int64(mod.Memory().Size())
	return w, nil
}

// resetState puts w back in its pristine state: the memory's bytes, every
// mutable global, the deterministic sources and the quota's flags. The
// memory's size was checked (reusable). It reports false if restoring the
// memory failed.
func (w *resetInstance) resetState() bool {
	s := w.state
	if m := w.mem; m.region != nil {
		if !snapshot.ResetRegion(m.buf, m.pool) {
			return false
		}
	} else {
		copy(m.buf, s.memory)
		clear(m.buf[min(len(s.memory), len(m.buf)):])
	}
	for i, g := range w.globals {
		g.Set(s.globals[i])
	}
	w.src.Reset(s.wallReads, s.nanoReads, s.randBytes)
	w.quota.refused.Store(false)
	return true
}

// keepReset resets w and keeps it idle, unless the system is short of
// memory (then every idle instance is released), the budget is spent or
// the reset fails.
func (r *Runtime) keepReset(ns *nsState, w *resetInstance) {
	reason := ""
	switch {
	case r.underPressure():
		reason = ResetPressure
		r.ReleaseIdle()
	case !w.resetState():
		reason = ResetFailed
	case !ns.reset.put(w, r):
		reason = ResetBudget
	}
	if reason != "" {
		r.counts.resetFallback(reason)
		w.mod.Close(context.Background())
	}
}

// take returns an idle instance made for memory quota quota from state s,
// or nil. Instances of a replaced state are closed.
func (p *resetPool) take(quota uint64, s *snapshotState, r *Runtime) *resetInstance {
	var retired []*resetInstance
	var w *resetInstance
	p.mu.Lock()
	for i := len(p.idle) - 1; i >= 0; i-- {
		c := p.idle[i]
		if c.state != s {
			retired = append(retired, c)
		} else if c.madeFor != quota {
			continue
		} else if w == nil {
			w = c
		} else {
			continue
		}
		p.idle = append(p.idle[:i], p.idle[i+1:]...)
		r.resetBytes.Add(-c.bytes)
	}
	p.mu.Unlock()
	for _, c := range retired {
		r.counts.resetFallback(ResetRetired)
		c.mod.Close(context.Background())
	}
	return w
}

// put keeps w idle if the pool is open and below Config.ResetIdle and
// the runtime's byte budget has room for it; it reports whether it did.
func (p *resetPool) put(w *resetInstance, r *Runtime) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle) >= r.resetIdle() {
		return false
	}
	if r.resetBytes.Add(w.bytes)+r.readyBytes.Load() > r.readyBudget() {
		r.resetBytes.Add(-w.bytes)
		return false
	}
	p.idle = append(p.idle, w)
	if !p.registered {
		p.registered = true
		r.resets.add(p)
	}
	return true
}

// drain removes and returns every idle instance; closing also keeps the
// pool from taking more.
func (p *resetPool) drain(r *Runtime, closing bool) []*resetInstance {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = p.closed || closing
	idle := p.idle
	p.idle = nil
	for _, w := range idle {
		r.resetBytes.Add(-w.bytes)
	}
	return idle
}

// resetIdle is the most idle reset instances kept per module and name.
func (r *Runtime) resetIdle() int {
	if r.cfg.ResetIdle > 0 {
		return r.cfg.ResetIdle
	}
	return DefaultResetIdle
}

// ReleaseIdle closes every idle reset instance of every module, giving
// their memory back, and returns how many it closed. The runtime calls it
// itself when the system is short of memory; later tasks make new
// instances as the pools refill.
func (r *Runtime) ReleaseIdle() int {
	n := 0
	for _, p := range r.resets.all() {
		for _, w := range p.drain(r, false) {
			w.mod.Close(context.Background())
			n++
		}
	}
	return n
}

// ResetIdle returns how many reset instances of m wait for a task of
// namespace. It is meant for tests and metrics.
func (m *Module) ResetIdle(namespace string) int {
	p := &m.fast.get(namespace).reset
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// resetPools is the set of reset pools that held an instance, for
// ReleaseIdle. A module's pools leave it when the module is closed.
type resetPools struct {
	mu    sync.Mutex
	pools map[*resetPool]struct{}
}

func (s *resetPools) add(p *resetPool) {
	s.mu.Lock()
	if s.pools == nil {
		s.pools = map[*resetPool]struct{}{}
	}
	s.pools[p] = struct{}{}
	s.mu.Unlock()
}

func (s *resetPools) remove(p *resetPool) {
	s.mu.Lock()
	delete(s.pools, p)
	s.mu.Unlock()
}

func (s *resetPools) all() []*resetPool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*resetPool, 0, len(s.pools))
	for p := range s.pools {
		out = append(out, p)
	}
	return out
}
