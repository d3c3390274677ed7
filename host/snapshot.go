package host

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/internal/snapshot"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// ErrNoSnapshot wraps every reason Snapshot could not capture a module:
// its tasks then run as before, instantiating and initialising a fresh
// instance each. It is not a failure of the module.
var ErrNoSnapshot = errors.New("host: no snapshot")

// snapshotCode is what a module's snapshots share, compiled once per
// module: the probe (the artifact with every mutable global exported, run
// to take snapshots) and the restore module (the probe without data
// segments, instantiated for each task and filled from a snapshot).
type snapshotCode struct {
	probe, restore wazero.CompiledModule
	globals        []string // export names of the mutable globals
}

func (c *snapshotCode) close(ctx context.Context) {
	c.probe.Close(ctx)
	c.restore.Close(ctx)
}

// snapshotState is the state of a module's instance right after _initialize, for
// tasks of one namespace (see Snapshot). It is immutable.
type snapshotState struct {
	code *snapshotCode
	// memory is linear memory after initialisation; segments are the
	// [start, end) ranges of its non-zero bytes.
	memory   []byte
	segments [][2]int
	image    *snapshot.Image // memory as a file to map; nil where unsupported
	globals  []uint64        // values of code.globals, in order
	// given and used are the meter's state after initialisation: the fuel
	// handed out and the fuel used as of the last slice boundary.
	given, used int64
	// wallReads, nanoReads and randBytes are how far initialisation
	// advanced the deterministic clocks and random source.
	wallReads, nanoReads, randBytes int64
	// initialised: _initialize ran (a snapshot). Otherwise this is the
	// state right after instantiation (reset_state.go), and tasks run
	// _initialize themselves.
	initialised bool
}

// fits reports whether a task with limits lim and no grants behaves
// exactly as if it ran the initialisation itself: a budget that hands out
// the same slices during the initialisation, and a memory quota the
// initialised memory fits in.
func (s *snapshotState) fits(lim Limits) bool {
	return s != nil && lim.Fuel >= s.given && lim.MemoryBytes >= int64(len(s.memory))
}

// errUnsafeInit is panicked by a nexus_v1 import called while a snapshot is
// being taken: its result or effect depends on the task.
type errUnsafeInit struct{ name string }

func (e *errUnsafeInit) Error() string {
	return "initialisation called " + abi.ModuleNexus + "." + e.name + ", which depends on the task"
}

// errInitGrowsTable is panicked by table_room while a snapshot is being
// taken: a snapshot does not capture tables.
var errInitGrowsTable = errors.New("initialisation grew a table, which a snapshot does not capture")

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
// Prepare returned) once with argv = [namespace], runs its _initialize and
// captures linear memory and every mutable global. From then on Run starts
// each task of m and namespace that fits the snapshot in a fresh instance
// of a copy of the module without data segments, whose memory and globals
// it fills from the snapshot, skipping the initialisation; it still never
// reuses an instance. The copy is compiled once per module; each namespace
// costs one initialisation and a copy of the memory.
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
//     grants: argv, an empty environment, the deterministic clocks and
//     random source, no files;
//   - does not exit or trap, and finishes within its own fuel budget and
//     deadline (Config.SnapshotFuel and SnapshotTimeout, small next to a
//     task's, so that an upload is not held by a slow initialisation);
//   - leaves no state outside linear memory and globals (tables are not
//     captured: the module must not have passive data segments, or
//     imported memory, tables or globals, and the initialisation must not
//     grow a table).
//
// A start function runs when the probe is instantiated, before
// _initialize, under the same rules; the restore module has none, so it
// does not run again.
//
// Otherwise, and for wasi-command modules (whose Go or Rust runtime
// start-up runs inside _start, with host calls on the native stack, and
// cannot be captured midway), Snapshot returns an error wrapping
// ErrNoSnapshot saying why, and tasks run as before. A task with grants, a
// fuel budget below what the initialisation was handed or a memory quota
// below the initialised memory also runs as before.
//
// Snapshot is safe for concurrent use with Run. A second Snapshot of the
// same namespace replaces the first.
func (r *Runtime) Snapshot(ctx context.Context, m *Module, artifact []byte, namespace string) error {
	ns := m.fast.get(namespace)
	s, err := r.takeSnapshot(ctx, m, artifact, namespace)
	if err != nil {
		ns.snapNote.Store(ptr(err.Error()))
		return err
	}
	ns.snap.Store(s)
	ns.snapNote.Store(ptr(""))
	return nil
}

// SnapshotStatus describes how m's fresh instances for tasks of namespace
// start: "" if no snapshot was attempted, "snapshot" if from one, otherwise
// why Snapshot fell back to plain instantiation.
func (m *Module) SnapshotStatus(namespace string) string {
	ns := m.fast.get(namespace)
	if ns.snap.Load() != nil {
		return "snapshot"
	}
	if p := ns.snapNote.Load(); p != nil {
		return *p
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

func (r *Runtime) takeSnapshot(ctx context.Context, m *Module, artifact []byte, namespace string) (*snapshotState, error) {
	fail := func(format string, args ...any) (*snapshotState, error) {
		return nil, fmt.Errorf("%w: %s", ErrNoSnapshot, fmt.Sprintf(format, args...))
	}
	if m.profile != abi.ProfileNexusV1 {
		return fail("a %s module initialises inside _start, which cannot be captured midway", m.profile)
	}
	if !hasExport(m.exports, abi.ExportInitialize) {
		return fail("the module exports no _initialize: there is nothing to pre-initialise")
	}
	if tables := r.cfg.Defaults.tableElements(r.cfg.Max.TableElements); m.shape.tableMin > uint64(tables) {
		return fail("its tables' minimums of %d elements exceed the default limit of %d", m.shape.tableMin, tables)
	}
	code, err := r.snapshotCode(ctx, m, artifact)
	if err != nil {
		return fail("%v", err)
	}
	s, err := r.initialise(ctx, code, namespace, true)
	if err != nil {
		return fail("%v", err)
	}
	return s, nil
}

// snapshotCode returns m's probe and restore modules, compiling them on
// first use.
func (r *Runtime) snapshotCode(ctx context.Context, m *Module, artifact []byte) (*snapshotCode, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	m.fast.codeMu.Lock()
	defer m.fast.codeMu.Unlock()
	if m.fast.code != nil {
		return m.fast.code, nil
	}
	probeWasm, mutable, err := snapshot.Probe(artifact)
	if err != nil {
		return nil, err
	}
	restoreWasm, err := snapshot.StripData(probeWasm)
	if err != nil {
		return nil, err
	}
	c := &snapshotCode{}
	if c.probe, err = r.compile(ctx, probeWasm); err != nil {
		return nil, fmt.Errorf("probe module: %v", err)
	}
	if c.restore, err = r.compile(ctx, restoreWasm); err != nil {
		c.probe.Close(ctx)
		return nil, fmt.Errorf("restore module: %v", err)
	}
	for _, g := range mutable {
		c.globals = append(c.globals, snapshot.GlobalPrefix+strconv.Itoa(int(g)))
	}
	m.fast.code = c
	m.fast.artifact = nil
	return c, nil
}

// initialise runs _initialize in an instance of the probe as a task of
// namespace with no grants and captures memory and the mutable globals.
// Without run it captures them right after instantiation instead.
func (r *Runtime) initialise(ctx context.Context, code *snapshotCode, namespace string, run bool) (*snapshotState, error) {
	t := &task{namespace: namespace, snapshotting: true}
	t.meter = meter{budget: r.cfg.SnapshotFuel, slice: r.cfg.SliceFuel}
	t.mem.limit = uint64(r.cfg.Max.MemoryBytes)
	t.logs.limit, t.out.limit = 1, 1

	t.deadline = time.Now().Add(r.cfg.SnapshotTimeout)
	ctx = context.WithValue(ctx, taskKey{}, t)
	ctx = experimental.WithMemoryAllocator(ctx, &t.mem)
	src := snapshot.NewSources(0, 0, 0)
	cfg := src.Configure(wazero.NewModuleConfig().WithName("").WithStartFunctions().
		WithStderr(&t.logs).WithStdout(&t.out).WithArgs(namespace))
	mod, err := r.rt.InstantiateModule(ctx, code.probe, cfg)
	if err != nil {
		return nil, fmt.Errorf("instantiate: %v", err)
	}
	defer mod.Close(ctx)
	t.meter.global = mod.ExportedGlobal(fuel.ExportFuelGlobal)
	if run {
		if err := r.runInitialize(ctx, t, mod); err != nil {
			return nil, err
		}
	}
	switch {
	case len(t.out.Bytes()) > 0 || t.out.Exceeded():
		return nil, errors.New("initialisation wrote to stdout")
	case len(t.logs.Bytes()) > 0:
		return nil, errors.New("initialisation wrote to stderr")
	}
	mem := mod.Memory()
	if mem == nil {
		return nil, errors.New("the module has no memory")
	}
	view, _ := mem.Read(0, mem.Size())
	s := &snapshotState{
		code:        code,
		memory:      append([]byte(nil), view...),
		given:       t.meter.given,
		used:        t.meter.used,
		initialised: run,
	}
	s.wallReads, s.nanoReads, s.randBytes = src.Reads()
	s.segments = snapshot.DataSegments(s.memory)
	s.image, _ = snapshot.NewImage(s.memory) // without it, instances copy the memory
	for _, name := range code.globals {
		g := mod.ExportedGlobal(name)
		if g == nil {
			return nil, fmt.Errorf("global %s is not readable", name)
		}
		s.globals = append(s.globals, g.Get())
	}
	return s, nil
}

// runInitialize runs mod's _initialize for a snapshot.
func (r *Runtime) runInitialize(ctx context.Context, t *task, mod api.Module) error {
	_, err := mod.ExportedFunction(abi.ExportInitialize).Call(ctx)
	if err == nil {
		return nil
	}
	var unsafe *errUnsafeInit
	if errors.As(err, &unsafe) {
		return unsafe
	}
	if errors.Is(err, errInitGrowsTable) {
		return errInitGrowsTable
	}
	return fmt.Errorf("_initialize failed: %v", r.snapshotFailure(ctx, t, err))
}

// snapshotFailure describes why the initialisation of a snapshot failed,
// naming the snapshot's own budget or deadline when it ran out of either.
func (r *Runtime) snapshotFailure(ctx context.Context, t *task, err error) error {
	err = t.classify(ctx, err)
	var fe *FuelError
	switch {
	case errors.As(err, &fe):
		return fmt.Errorf("it needs more than the snapshot fuel budget of %d (%w)", r.cfg.SnapshotFuel, err)
	case errors.Is(err, ErrTimeout):
		return fmt.Errorf("it ran past the snapshot timeout of %v (%w)", r.cfg.SnapshotTimeout, err)
	}
	return err
}

func hasExport(exports []string, name string) bool {
	for _, e := range exports {
		if e == name {
			return true
		}
	}
	return false
}
