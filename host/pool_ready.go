package host

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/internal/snapshot"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// readyWindow is how often a ready pool re-sizes itself from the demand it
// saw in the last window.
const readyWindow = 100 * time.Millisecond

// readyInstance is a fresh instance made ahead of demand, in the
// background, for a task without grants. No task has run in it: taking it
// keeps the fresh-instance guarantee.
type readyInstance struct {
	mod      api.Module
	quota    *quota
	io       *instanceIO
	restored *snapshotState // the snapshot it was filled from, or nil: run _initialize
	bytes    int64          // its linear memory when made
}

// readyPool holds the ready instances of one module and name. Its size
// follows demand: each window it aims to hold as many instances as tasks
// took in the previous one, up to Config.ReadyInstances, and within the
// runtime's Config.ReadyBytes.
type readyPool struct {
	mu      sync.Mutex
	idle    []*readyInstance
	taken   int // tasks that wanted an instance in this window
	target  int
	since   time.Time
	filling bool
	closed  bool
	hits    int // tasks that got a ready instance
}

// take returns a ready instance, or nil, and starts a refill when the pool
// is below its target.
func (p *readyPool) take(r *Runtime, m *Module, ns *nsState) *readyInstance {
	now := time.Now()
	p.mu.Lock()
	p.taken++
	if now.Sub(p.since) >= readyWindow {
		p.target = min(p.taken, r.cfg.ReadyInstances)
		p.taken, p.since = 0, now
	}
	var w *readyInstance
	if n := len(p.idle); n > 0 {
		w = p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.hits++
		r.readyBytes.Add(-w.bytes)
	}
	refill := !p.filling && !p.closed && len(p.idle) < max(p.target, 1)
	p.filling = p.filling || refill
	p.mu.Unlock()
	if refill {
		r.background(func() { r.refill(m, ns, p) }, p)
	}
	return w
}

// refill makes instances until the pool reaches its target, the runtime's
// byte budget is spent, or the module is closed.
func (r *Runtime) refill(m *Module, ns *nsState, p *readyPool) {
	defer func() {
		p.mu.Lock()
		p.filling = false
		p.mu.Unlock()
	}()
	for {
		p.mu.Lock()
		want := !p.closed && len(p.idle) < max(p.target, 1) && r.readyBytes.Load()+r.resetBytes.Load() < r.readyBudget()
		p.mu.Unlock()
		r.bgMu.Lock()
		want = want && !r.closing
		r.bgMu.Unlock()
		if !want {
			return
		}
		w := r.makeReady(m, ns)
		if w == nil {
			return
		}
		p.mu.Lock()
		keep := !p.closed
		if keep {
			p.idle = append(p.idle, w)
			r.readyBytes.Add(w.bytes)
		}
		p.mu.Unlock()
		if !keep {
			w.mod.Close(context.Background())
			return
		}
	}
}

// makeReady instantiates m for a task of ns with no grants and the default
// limits: from the snapshot if one fits them, otherwise the plain module
// (whose _initialize then runs as part of the task). It returns nil if the
// module is closed or instantiation fails.
func (r *Runtime) makeReady(m *Module, ns *nsState) *readyInstance {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed || m.shape.tableMin > uint64(r.cfg.Defaults.tableElements(r.cfg.Max.TableElements)) {
		return nil // no task with the default limits could start in it
	}
	ctx := context.Background()
	w := &readyInstance{quota: &quota{limit: uint64(r.cfg.Defaults.MemoryBytes)}, io: &instanceIO{}}
	cfg := ns.base.WithStderr(ioErr{w.io})
	if m.profile == abi.ProfileWASICommand {
		cfg = cfg.WithStdin(ioIn{w.io}).WithStdout(ioOut{w.io})
	}
	var mod api.Module
	var err error
	if s := ns.snap.Load(); m.profile == abi.ProfileNexusV1 && s.fits(r.cfg.Defaults) {
		mod, err = r.restore(ctx, &task{}, s, cfg, w.quota)
		w.restored = s
	} else {
		ictx := experimental.WithMemoryAllocator(ctx, &imageAllocator{q: w.quota})
		mod, err = r.rt.InstantiateModule(ictx, m.compiled, snapshot.NewSources(0, 0, 0).Configure(cfg))
	}
	if err != nil {
		return nil
	}
	w.mod = mod
	if mem := mod.Memory(); mem != nil {
		w.bytes = int64(mem.Size())
	}
	return w
}

// runReady runs t in a ready instance w and closes it.
func (r *Runtime) runReady(ctx context.Context, m *Module, t *task, w *readyInstance, lim Limits) error {
	defer w.mod.Close(context.WithoutCancel(ctx))
	w.io.t = t
	w.quota.limit = uint64(lim.MemoryBytes)
	t.meter.global = w.mod.ExportedGlobal(fuel.ExportFuelGlobal)
	if s := w.restored; s != nil {
		t.meter.given, t.meter.used = s.given, s.used
	}
	err := r.call(ctx, m, t, w.mod, w.restored == nil)
	if w.quota.refused.Load() {
		t.mem.refused.Store(true)
	}
	return err
}

// readyFor returns a ready instance for a task of ns with limits lim, or
// nil when the pool is off, empty or does not fit the task.
func (r *Runtime) readyFor(m *Module, ns *nsState, lim Limits) *readyInstance {
	if r.cfg.ReadyInstances <= 0 || lim.MemoryBytes != r.cfg.Defaults.MemoryBytes {
		return nil
	}
	if s := ns.snap.Load(); s != nil && !s.fits(lim) {
		return nil // the task's budget is below what the initialisation was handed
	}
	w := ns.ready.take(r, m, ns)
	if w != nil && w.restored != nil && w.restored != ns.snap.Load() {
		w.mod.Close(context.Background()) // made from a replaced snapshot
		return nil
	}
	return w
}

// drain closes the pool and returns its instances.
func (p *readyPool) drain() []*readyInstance {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	return idle
}

// ioIn is a ready wasi-command instance's stdin: the task's input.
type ioIn struct{ *instanceIO }

func (r ioIn) Read(p []byte) (int, error) {
	in := r.t.input
	if r.inOff >= len(in) {
		return 0, io.EOF
	}
	n := copy(p, in[r.inOff:])
	r.inOff += n
	return n, nil
}

// DefaultReadyBytes bounds the linear memory of all ready instances of a
// runtime when Config.ReadyBytes is 0.
const DefaultReadyBytes = 256 << 20

func (r *Runtime) readyBudget() int64 {
	if r.cfg.ReadyBytes > 0 {
		return r.cfg.ReadyBytes
	}
	return DefaultReadyBytes
}

// ReadyStats returns how many ready instances of m wait for tasks of
// namespace and how many tasks took one so far. It is meant for tests and
// metrics.
func (m *Module) ReadyStats(namespace string) (idle, taken int) {
	p := &m.fast.get(namespace).ready
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle), p.hits
}

// FillReady starts filling m's ready pool for namespace in the background,
// as if a task had just asked for an instance, so that the next task finds
// one ready. It does nothing when Config.ReadyInstances is 0.
func (r *Runtime) FillReady(m *Module, namespace string) {
	if r.cfg.ReadyInstances <= 0 {
		return
	}
	ns := m.fast.get(namespace)
	p := &ns.ready
	p.mu.Lock()
	p.target = max(p.target, 1)
	refill := !p.filling && !p.closed
	p.filling = p.filling || refill
	p.mu.Unlock()
	if refill {
		r.background(func() { r.refill(m, ns, p) }, p)
	}
}

// background runs f on its own goroutine unless the runtime is closing, in
// which case it clears p's filling flag (if p is set) instead. Close waits
// for f.
func (r *Runtime) background(f func(), p *readyPool) {
	r.bgMu.Lock()
	defer r.bgMu.Unlock()
	if r.closing {
		if p != nil {
			p.mu.Lock()
			p.filling = false
			p.mu.Unlock()
		}
		return
	}
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		f()
	}()
}
