package host

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// ErrNoSnapshot wraps every reason Snapshot could not capture a module:
// its tasks then run as before, instantiating and initialising a fresh
// instance each. It is not a failure of the module.
var ErrNoSnapshot = errors.New("host: no snapshot")

// snapshot is a module's state right after _initialize, baked into a module
// whose instances start in that state (see Snapshot).
type snapshot struct {
	compiled  wazero.CompiledModule
	namespace string // args[0] during initialisation
	memBytes  int64  // linear memory size after initialisation
	// given and used are the meter's state after initialisation: the fuel
	// handed out and the fuel used as of the last slice boundary.
	given, used int64
	// wallReads, nanoReads and randBytes are how far initialisation
	// advanced the deterministic clocks and random source.
	wallReads, nanoReads, randBytes int64
}

// fits reports whether a task of namespace with limits lim and no grants
// behaves exactly as if it ran the initialisation itself: same argv, a
// budget that hands out the same slices during the initialisation, and a
// memory quota the initialised memory fits in.
func (s *snapshot) fits(namespace string, lim Limits) bool {
	return s != nil && namespace == s.namespace && lim.Fuel >= s.given && lim.MemoryBytes >= s.memBytes
}

// errUnsafeInit is panicked by a nexus_v1 import called while a snapshot is
// being taken: its result or effect depends on the task.
type errUnsafeInit struct{ name string }

func (e *errUnsafeInit) Error() string {
	return "initialisation called " + abi.ModuleNexus + "." + e.name + ", which depends on the task"
}

// snapshotGuard wraps a nexus_v1 import so that calling it during a
// snapshot's initialisation stops the snapshot.
func snapshotGuard(name string, fn api.GoModuleFunc) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		if t := taskFrom(ctx); t != nil && t.snapshotting {
			panic(&errUnsafeInit{name})
		}
		fn(ctx, mod, stack)
	}
}

// Snapshot pre-initialises m for tasks of namespace, as Wizer does for
// Spin and Fastly: it instantiates m's fuel-instrumented artifact (what
// Prepare returned) once, runs its _initialize, captures linear memory and
// every mutable global, and compiles a copy of the artifact whose data
// segments and global initialisers are that state. From then on Run starts
// each task of m that fits the snapshot from a fresh instance of that copy,
// skipping the initialisation, and still never reuses an instance.
//
// A task started from the snapshot is indistinguishable from one that ran
// the initialisation: output, logs, errors and fuel used are the same (the
// initialisation's fuel is charged to it), and the deterministic clocks and
// random source continue from where the initialisation left them. To make
// that hold, initialisation is snapshot-safe only if it
//
//   - calls no nexus_v1 import (each depends on the task: input, output,
//     kv, configuration, checkpoints, fuel budget, logs);
//   - writes nothing to stdout or stderr;
//   - uses WASI only for what the sandbox makes deterministic without
//     grants: argv (the module's name), an empty environment, the
//     deterministic clocks and random source, no files;
//   - does not exit, trap or run out of the initialisation budget;
//   - leaves no state outside linear memory and globals (tables are not
//     captured: the module must not have a start function, passive data
//     segments, or imported memory, tables or globals).
//
// Otherwise, and for wasi-command modules (whose Go or Rust runtime
// start-up runs inside _start, with host calls on the native stack, and
// cannot be captured midway), Snapshot returns an error wrapping
// ErrNoSnapshot saying why, and tasks run as before. A task with grants,
// another namespace, a fuel budget below what the initialisation was handed
// or a memory quota below the initialised memory also runs as before.
//
// Snapshot is safe for concurrent use with Run. A second Snapshot replaces
// the first.
func (r *Runtime) Snapshot(ctx context.Context, m *Module, artifact []byte, namespace string) error {
	s, err := r.takeSnapshot(ctx, m, artifact, namespace)
	if err != nil {
		m.fast.snapNote.Store(ptr(err.Error()))
		return err
	}
	m.mu.RLock()
	closed := m.closed
	if !closed {
		if old := m.fast.snap.Swap(s); old != nil {
			defer old.compiled.Close(context.WithoutCancel(ctx))
		}
		m.fast.snapNote.Store(ptr(""))
	}
	m.mu.RUnlock()
	if closed {
		s.compiled.Close(ctx)
		return ErrClosed
	}
	return nil
}

// SnapshotStatus describes how m's tasks start: "" if no snapshot was
// attempted, "snapshot" if they start from one, otherwise why Snapshot
// fell back to plain instantiation.
func (m *Module) SnapshotStatus() string {
	if m.fast.snap.Load() != nil {
		return "snapshot"
	}
	if p := m.fast.snapNote.Load(); p != nil {
		return *p
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

func (r *Runtime) takeSnapshot(ctx context.Context, m *Module, artifact []byte, namespace string) (*snapshot, error) {
	fail := func(format string, args ...any) (*snapshot, error) {
		return nil, fmt.Errorf("%w: %s", ErrNoSnapshot, fmt.Sprintf(format, args...))
	}
	if m.profile != abi.ProfileNexusV1 {
		return fail("a %s module initialises inside _start, which cannot be captured midway", m.profile)
	}
	if !hasExport(m.exports, abi.ExportInitialize) {
		return fail("the module exports no _initialize: there is nothing to pre-initialise")
	}
	probeWasm, mutable, err := probeModule(artifact)
	if err != nil {
		return fail("%v", err)
	}
	probe, err := r.rt.CompileModule(ctx, probeWasm)
	if err != nil {
		return fail("probe module: %v", err)
	}
	defer probe.Close(ctx)

	s, memory, globals, err := r.initialise(ctx, probe, mutable, namespace)
	if err != nil {
		return fail("%v", err)
	}
	baked, err := bakeModule(artifact, memory, globals)
	if err != nil {
		return fail("%v", err)
	}
	if s.compiled, err = r.rt.CompileModule(ctx, baked); err != nil {
		return fail("snapshot module: %v", err)
	}
	return s, nil
}

// initialise runs _initialize in an instance of probe as a task of
// namespace with no grants and reads back memory and the mutable globals.
func (r *Runtime) initialise(ctx context.Context, probe wazero.CompiledModule, mutable []uint32, namespace string) (*snapshot, []byte, map[uint32]uint64, error) {
	lim := r.cfg.Defaults
	if r.cfg.Max.MemoryBytes > 0 {
		lim.MemoryBytes = r.cfg.Max.MemoryBytes
	}
	t := &task{namespace: namespace, snapshotting: true}
	t.meter = meter{budget: math.MaxInt64 / 2, slice: r.cfg.SliceFuel}
	if r.cfg.Max.Fuel > 0 {
		t.meter.budget = r.cfg.Max.Fuel
	}
	t.mem.limit = uint64(lim.MemoryBytes)
	t.logs.limit, t.out.limit = 1, 1

	ctx, cancel := context.WithTimeoutCause(ctx, lim.Timeout, ErrTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, taskKey{}, t)
	ctx = experimental.WithMemoryAllocator(ctx, &t.mem)
	src := newDetSources(0, 0, 0)
	cfg := src.configure(wazero.NewModuleConfig().WithName("").WithStartFunctions().
		WithStderr(&t.logs).WithStdout(&t.out).WithArgs(namespace))
	mod, err := r.rt.InstantiateModule(ctx, probe, cfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("instantiate: %v", err)
	}
	defer mod.Close(ctx)
	t.meter.global = mod.ExportedGlobal(fuel.ExportFuelGlobal)
	if _, err := mod.ExportedFunction(abi.ExportInitialize).Call(ctx); err != nil {
		var unsafe *errUnsafeInit
		if errors.As(err, &unsafe) {
			return nil, nil, nil, unsafe
		}
		return nil, nil, nil, fmt.Errorf("_initialize failed: %v", t.classify(ctx, err))
	}
	switch {
	case len(t.out.Bytes()) > 0 || t.out.Exceeded():
		return nil, nil, nil, errors.New("initialisation wrote to stdout")
	case len(t.logs.Bytes()) > 0:
		return nil, nil, nil, errors.New("initialisation wrote to stderr")
	}
	mem := mod.Memory()
	if mem == nil {
		return nil, nil, nil, errors.New("the module has no memory")
	}
	view, _ := mem.Read(0, mem.Size())
	memory := append([]byte(nil), view...)
	globals := make(map[uint32]uint64, len(mutable))
	for _, g := range mutable {
		eg := mod.ExportedGlobal(snapshotGlobalPrefix + strconv.Itoa(int(g)))
		if eg == nil {
			return nil, nil, nil, fmt.Errorf("global %d is not readable", g)
		}
		globals[g] = eg.Get()
	}
	s := &snapshot{
		namespace: namespace,
		memBytes:  int64(len(memory)),
		given:     t.meter.given,
		used:      t.meter.used,
		wallReads: src.wallReads.Load(),
		nanoReads: src.nanoReads.Load(),
		randBytes: src.rand.skip + src.rand.read,
	}
	return s, memory, globals, nil
}

func hasExport(exports []string, name string) bool {
	for _, e := range exports {
		if e == name {
			return true
		}
	}
	return false
}
