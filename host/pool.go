package host

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
)

// fastPath is a module's state for starting tasks quickly: its snapshot,
// the base instance configuration of each name it runs under, and its warm
// instances. Its methods are safe for concurrent use.
type fastPath struct {
	snap     atomic.Pointer[snapshot]
	snapNote atomic.Pointer[string] // why Snapshot fell back, or ""

	mu    sync.Mutex
	bases map[string]wazero.ModuleConfig // namespace → base config
	warm  map[string]*warmPool           // namespace → idle warm instances
}

// base returns the configuration every task of namespace starts from: no
// name, no start functions (the host calls them), argv = [namespace]. A
// ModuleConfig is immutable (each With method returns a copy), so tasks
// share it; wazero makes each instance's clocks and random source afresh.
func (f *fastPath) base(namespace string) wazero.ModuleConfig {
	f.mu.Lock()
	defer f.mu.Unlock()
	cfg, ok := f.bases[namespace]
	if !ok {
		if f.bases == nil {
			f.bases = map[string]wazero.ModuleConfig{}
		}
		cfg = wazero.NewModuleConfig().WithName("").WithStartFunctions().WithArgs(namespace)
		f.bases[namespace] = cfg
	}
	return cfg
}

// warmPool returns the warm instances of namespace.
func (f *fastPath) warmPool(namespace string) *warmPool {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.warm[namespace]
	if !ok {
		if f.warm == nil {
			f.warm = map[string]*warmPool{}
		}
		p = &warmPool{}
		f.warm[namespace] = p
	}
	return p
}

// WarmIdle returns how many warm instances of m wait for a task of
// namespace. It is meant for tests and metrics.
func (m *Module) WarmIdle(namespace string) int {
	p := m.fast.warmPool(namespace)
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// close frees the warm instances and the snapshot module.
func (f *fastPath) close(ctx context.Context) {
	f.mu.Lock()
	pools := f.warm
	f.warm = nil
	f.mu.Unlock()
	for _, p := range pools {
		for _, w := range p.drain() {
			w.mod.Close(ctx)
		}
	}
	if s := f.snap.Swap(nil); s != nil {
		s.compiled.Close(ctx)
	}
}
