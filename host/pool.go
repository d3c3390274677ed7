package host

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/internal/snapshot"
	"github.com/tetratelabs/wazero"
)

// fastPath is a module's state for starting tasks quickly: its snapshot
// code and, per name it runs under, the base instance configuration, the
// isolation mode, the snapshot and the warm instances. Its methods are safe for
// concurrent use.
type fastPath struct {
	codeMu sync.Mutex
	code   *snapshotCode // compiled on the first Snapshot or reset
	// artifact is the module's instrumented artifact until code is
	// compiled from it (for the reset path, which needs code).
	artifact []byte

	mu sync.RWMutex
	ns map[string]*nsState
}

// nsState is what a module keeps per name (kv namespace) it runs under.
type nsState struct {
	name string
	// base is the configuration every task starts from: no name, no start
	// functions (the host calls them), argv = [namespace], and constant
	// clocks and random source (snapshot.UnreadSources; a module that reads
	// them gets deterministic ones per instance). A ModuleConfig is
	// immutable (each With method returns a copy), so tasks share it.
	base      wazero.ModuleConfig
	isolation atomic.Pointer[Isolation]
	warm      warmPool
	ready     readyPool
	snap      atomic.Pointer[snapshotState]
	snapNote  atomic.Pointer[string] // why Snapshot fell back, or ""
	// reset holds the instances kept across tasks and reset between them;
	// post is the state they start from when there is no snapshot, and
	// preparing is set once its capture started (reset_state.go).
	reset resetPool
	// resetMisses counts the reset instances closed in a row after their
	// task for what it did; resetSkips the tasks that then did not try
	// (pool_reset.go).
	resetMisses, resetSkips atomic.Int64
	resetAsked              atomic.Int64 // tasks that asked for a post-instantiation state
	post                    atomic.Pointer[pristineState]
	preparing               atomic.Bool
	stdio                   sync.Pool // *stdioConfig
}

// stdioConfig is a namespace's base configuration with stdio that reach
// the task its io names. Tasks without grants take one from the pool for
// their instance instead of copying the base configuration once per
// stream (each With method copies it).
type stdioConfig struct {
	cfg wazero.ModuleConfig
	io  instanceIO
}

// stdioFor returns a configuration whose stdin, stdout (for a
// wasi-command) and stderr are t's. Give it back with putStdio once t's
// instance is closed.
func (s *nsState) stdioFor(profile abi.Profile, t *task) *stdioConfig {
	c, _ := s.stdio.Get().(*stdioConfig)
	if c == nil {
		c = &stdioConfig{}
		c.cfg = s.base.WithStderr(ioErr{&c.io})
		if profile == abi.ProfileWASICommand {
			c.cfg = c.cfg.WithStdin(ioIn{&c.io}).WithStdout(ioOut{&c.io})
		}
	}
	c.io = instanceIO{t: t}
	return c
}

// putStdio returns c to the pool.
func (s *nsState) putStdio(c *stdioConfig) {
	c.io = instanceIO{}
	s.stdio.Put(c)
}

// get returns the state of namespace, creating it on first use.
func (f *fastPath) get(namespace string) *nsState {
	f.mu.RLock()
	s, ok := f.ns[namespace]
	f.mu.RUnlock()
	if ok {
		return s
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok = f.ns[namespace]; !ok {
		if f.ns == nil {
			f.ns = map[string]*nsState{}
		}
		s = &nsState{name: namespace, base: snapshot.UnreadSources(wazero.NewModuleConfig().WithName("").WithStartFunctions().WithArgs(namespace))}
		f.ns[namespace] = s
	}
	return s
}

// SetIsolation sets the isolation of m's tasks of namespace whose Request
// leaves Isolation empty. It is safe for concurrent use with Run; tasks
// already running keep the mode they started with. Leaving warm mode does
// not close idle warm instances before the module is closed.
func (m *Module) SetIsolation(namespace string, iso Isolation) {
	m.fast.get(namespace).isolation.Store(&iso)
}

// isolation returns the mode of a task of ns that asked for iso.
func (s *nsState) mode(iso Isolation) Isolation {
	if iso != "" {
		return iso
	}
	if p := s.isolation.Load(); p != nil {
		return *p
	}
	return IsolationFresh
}

// WarmIdle returns how many warm instances of m wait for a task of
// namespace. It is meant for tests and metrics.
func (m *Module) WarmIdle(namespace string) int {
	p := &m.fast.get(namespace).warm
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// artifactOf returns the artifact the snapshot code is to be compiled
// from, or nil once it is compiled.
func (f *fastPath) artifactOf() []byte {
	f.codeMu.Lock()
	defer f.codeMu.Unlock()
	return f.artifact
}

// close frees the warm, ready and reset instances and the snapshot module.
func (f *fastPath) close(ctx context.Context, r *Runtime) {
	f.mu.Lock()
	all := f.ns
	f.ns = nil
	f.mu.Unlock()
	for _, s := range all {
		for _, w := range s.warm.drain() {
			w.mod.Close(ctx)
		}
		for _, w := range s.ready.drain() {
			w.mod.Close(ctx)
		}
		for _, w := range s.reset.drain(r, true) {
			w.mod.Close(ctx)
		}
		r.resets.remove(&s.reset)
	}
	f.codeMu.Lock()
	if f.code != nil {
		f.code.close(ctx)
		f.code = nil
	}
	f.codeMu.Unlock()
}
