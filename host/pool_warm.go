package host

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/internal/snapshot"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Isolation is how tasks of a module share instances.
type Isolation string

// Isolation modes.
const (
	// IsolationFresh runs every task in a fresh instance that no other task
	// ever ran in: nothing a task does survives it. It is the default.
	IsolationFresh Isolation = "fresh"
	// IsolationWarm reuses instances across tasks of the same module (and
	// name), as Cloudflare isolates and Extism's pooled plugins do: the
	// instance's memory and globals, hence whatever the guest keeps in
	// them, persist from one task to the next, and the initialisation runs
	// once per instance. An instance whose task trapped, ran out of fuel,
	// memory, output or time, or was canceled is discarded, never reused;
	// one whose nexus_run returned an error is kept. Only nexus-v1 tasks
	// without grants run warm; others run fresh.
	IsolationWarm Isolation = "warm"
)

// ParseIsolation returns the Isolation named s; "" means IsolationFresh.
func ParseIsolation(s string) (Isolation, error) {
	switch Isolation(s) {
	case "", IsolationFresh:
		return IsolationFresh, nil
	case IsolationWarm:
		return IsolationWarm, nil
	}
	return "", fmt.Errorf("host: isolation %q must be %q or %q", s, IsolationFresh, IsolationWarm)
}

// DefaultWarmIdle is how many idle warm instances a module keeps per name
// when Config.WarmIdle is 0.
const DefaultWarmIdle = 8

// warmInstance is an initialised instance kept for the next task.
type warmInstance struct {
	mod     api.Module
	madeFor uint64 // the memory quota it was made under
	quota   *quota
	io      *instanceIO
	fuel    api.MutableGlobal
	depth   api.MutableGlobal
}

// instanceIO is the stdout and stderr of a warm instance: they write to the
// task running in it.
type instanceIO struct {
	t     *task
	inOff int // how much of the task's input stdin has returned
}

type ioOut struct{ *instanceIO }
type ioErr struct{ *instanceIO }

func (w ioOut) Write(p []byte) (int, error) { return w.t.out.Write(p) }
func (w ioErr) Write(p []byte) (int, error) { return w.t.logs.Write(p) }

// warmPool holds the idle instances of one module and name.
type warmPool struct {
	mu   sync.Mutex
	idle []*warmInstance
}

func (p *warmPool) get() *warmInstance {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return w
	}
	return nil
}

// put keeps w unless max instances are idle already; it reports whether it
// kept it.
func (p *warmPool) put(w *warmInstance, max int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) >= max {
		return false
	}
	p.idle = append(p.idle, w)
	return true
}

// drain removes and returns every idle instance.
func (p *warmPool) drain() []*warmInstance {
	p.mu.Lock()
	defer p.mu.Unlock()
	idle := p.idle
	p.idle = nil
	return idle
}

// runWarm runs t in an idle warm instance of m, or in a new one it then
// keeps. The new instance's initialisation is part of the task that made
// it, and charged to it.
func (r *Runtime) runWarm(ctx context.Context, m *Module, ns *nsState, t *task, namespace string, lim Limits) error {
	pool := &ns.warm
	w := pool.get()
	// An instance whose memory is past this task's quota, or was made under
	// a smaller quota (its memory may be a region of that size), is not
	// reused for it.
	if w != nil && (uint64(w.mod.Memory().Size()) > uint64(lim.MemoryBytes) || w.madeFor < uint64(lim.MemoryBytes)) {
		r.counts.warmDiscarded.Add(1)
		w.mod.Close(ctx)
		w = nil
	}
	var err error
	if w == nil {
		r.counts.warmNew.Add(1)
		t.source = SourceWarmNew
		if w, err = r.newWarm(ctx, m, ns, t, namespace, lim); err != nil {
			return err
		}
	} else {
		r.counts.warmReused.Add(1)
		t.source = SourceWarmReused
		w.quota.limit = uint64(lim.MemoryBytes)
		w.quota.refused.Store(false)
		w.fuel.Set(0)
		t.meter.global = w.fuel
	}
	w.io.t = t
	t.mem.limit = w.quota.limit
	err = r.call(ctx, m, t, w.mod, false)
	w.io.t = nil
	if w.quota.refused.Load() {
		t.mem.refused.Store(true)
	}
	var te *TaskError
	keep := (err == nil || errors.As(err, &te)) && !t.out.Exceeded() && ctx.Err() == nil && w.depth.Get() == 0
	if !keep || !pool.put(w, r.warmIdle()) {
		r.counts.warmDiscarded.Add(1)
		w.mod.Close(context.WithoutCancel(ctx))
	}
	return err
}

// newWarm instantiates m for warm use, from its snapshot if it has one
// that fits, otherwise by running _initialize as part of t.
func (r *Runtime) newWarm(ctx context.Context, m *Module, ns *nsState, t *task, namespace string, lim Limits) (*warmInstance, error) {
	w := &warmInstance{madeFor: uint64(lim.MemoryBytes), quota: &quota{limit: uint64(lim.MemoryBytes)}, io: &instanceIO{t: t}}
	cfg := ns.base.WithStdout(ioOut{w.io}).WithStderr(ioErr{w.io})
	var mod api.Module
	var err error
	initialise := true
	if s := ns.snap.Load(); s.fits(lim) {
		mod, err = r.restore(ctx, t, s, cfg, w.quota)
		initialise = false
	} else {
		ictx := experimental.WithMemoryAllocator(context.WithoutCancel(ctx), w.quota)
		mod, err = r.rt.InstantiateModule(ictx, m.compiled, snapshot.NewSources(0, 0, 0).Configure(cfg))
	}
	if err != nil {
		return nil, err
	}
	w.mod = mod
	w.fuel, _ = mod.ExportedGlobal(fuel.ExportFuelGlobal).(api.MutableGlobal)
	w.depth, _ = mod.ExportedGlobal(fuel.ExportDepthGlobal).(api.MutableGlobal)
	if w.fuel == nil || w.depth == nil {
		mod.Close(ctx)
		return nil, &TrapError{Message: "instrumented module lacks its fuel globals"}
	}
	t.meter.global = w.fuel
	if initialise && hasExport(m.exports, abi.ExportInitialize) {
		if init := mod.ExportedFunction(abi.ExportInitialize); init != nil {
			if _, err := init.Call(ctx); err != nil {
				t.meter.used = max(t.meter.used, t.meter.usedWith(int64(w.fuel.Get())))
				mod.Close(ctx)
				return nil, err
			}
		}
	}
	return w, nil
}

// warmIdle is the most idle warm instances kept per module and name.
func (r *Runtime) warmIdle() int {
	if r.cfg.WarmIdle > 0 {
		return r.cfg.WarmIdle
	}
	return DefaultWarmIdle
}
