package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// Request is one task for Run.
type Request struct {
	// Input is stdin (wasi-command) or what input_read returns (nexus-v1).
	// Run does not modify it.
	Input []byte
	// Limits bound the task; zero fields take the runtime's defaults.
	Limits Limits
	// Yielder, if set, is called at every fuel-slice boundary.
	Yielder Yielder
	// Namespace is the task's kv namespace: its module's name.
	Namespace string
	// Config is what config_get returns. Run does not modify it.
	Config map[string]string
	// Grants are the task's capabilities beyond the deterministic sandbox.
	Grants Grants
	// Checkpoint is what checkpoint_load returns until the guest saves a
	// new one: the last checkpoint of an earlier attempt of the task.
	Checkpoint []byte
	// OnCheckpoint, if set, is called by checkpoint_save with the new
	// checkpoint (the guest's to keep) before the call returns; an error
	// makes checkpoint_save answer ERR_INTERNAL. A durable task uses it
	// to commit the checkpoint before the guest goes on.
	OnCheckpoint func(checkpoint []byte) error
	// OnProgress, if set, is called by every progress report. It must not
	// block.
	OnProgress func(done, total int64)
	// KV, if set, replaces the runtime's KV for this task (a durable
	// task's writes are held back and committed with its outcome).
	KV KV
	// Isolation, if set, overrides the mode Module.SetIsolation chose for
	// the namespace (IsolationFresh by default).
	Isolation Isolation
	// Spawner, if set, gives the task child tasks (task_spawn, task_await,
	// task_await_any); without one task_spawn answers ERR_DENIED.
	Spawner Spawner
}

// Result is what a task produced. Run returns it on failure too, with the
// output and logs written up to the failure.
type Result struct {
	Output   []byte
	Logs     []byte
	Duration time.Duration
	// FuelUsed is the fuel the task used. It is deterministic: the same
	// module and input use the same fuel on every run.
	FuelUsed int64
	// Progress is the last (done, total) the guest reported, if any.
	Progress [2]int64
	// Checkpoint is the last state the guest saved, if any.
	Checkpoint []byte
	// Source is where the task's instance came from: one of the
	// Source* constants ("" if the task never got an instance).
	Source string
	// Instantiate is the part of Duration spent getting the instance
	// ready, before the guest's first call (0 if it never got one).
	Instantiate time.Duration
	// MemoryBytes is the size of the instance's linear memory when the
	// task ended, its peak (linear memory never shrinks).
	MemoryBytes uint64
	// KVOps and Checkpoints count the task's kv calls (get, set, delete)
	// and its checkpoint saves.
	KVOps, Checkpoints int64
}

// Where a task's instance came from (Result.Source), as the labels of
// nexus_instances_total{source}.
const (
	SourceFresh      = "fresh"
	SourceSnapshot   = "snapshot"
	SourceReady      = "ready"
	SourceReset      = "reset"
	SourceWarmNew    = "warm_new"
	SourceWarmReused = "warm_reused"
)

// task is the per-run state reached by host functions through the context.
type task struct {
	input      []byte
	inputOff   int
	out        capped
	logs       logSink
	errMsg     string
	progress   [2]int64
	checkpoint []byte
	mem        quota
	meter      meter
	// tables is the task's table-element limit, set only for a module
	// with tables (see tableRoom).
	tables    int64
	kv        KV // nil: kv imports answer ERR_DENIED
	kvMax     int64
	namespace string
	config    map[string]string
	pure      bool // kv writes are denied
	logRate   logLimiter
	// onCheckpoint and onProgress are Request.OnCheckpoint and OnProgress.
	onCheckpoint func([]byte) error
	onProgress   func(done, total int64)
	// spawner is Request.Spawner; spawned counts the run's task_spawn
	// calls that took a handle.
	spawner Spawner
	spawned int
	// snapshotting is set while Snapshot runs the initialisation: the
	// nexus_v1 imports then refuse to run.
	snapshotting bool
	// wasiState is set when the task calls a WASI function that changes
	// its instance's WASI state (wasi_state.go): the instance is then not
	// reset for another task.
	wasiState bool
	// deadline is when the task times out: sliceBoundary compares the
	// clock with it, and waitCtx carries it into the executor's waits.
	deadline   time.Time
	waitCtx    context.Context // nil until the task first yields
	waitCancel context.CancelFunc
	// source, called, memBytes, kvOps and checkpoints are what Result
	// reports of the instance and the host calls.
	source             string
	called             time.Time
	memBytes           uint64
	kvOps, checkpoints int64
}

// yieldContext returns the context the task's Yields wait under: ctx with
// the task's deadline, made at the first Yield. A task that ends inside
// its first fuel slice, as most do, makes no timer.
func (t *task) yieldContext(ctx context.Context) context.Context {
	if t.waitCtx == nil {
		t.waitCtx, t.waitCancel = context.WithDeadlineCause(ctx, t.deadline, ErrTimeout)
	}
	return t.waitCtx
}

type taskKey struct{}

func taskFrom(ctx context.Context) *task {
	t, _ := ctx.Value(taskKey{}).(*task)
	return t
}

// Run runs one task of m in a fresh instance, closed before Run returns,
// or in a reset one (see Config.NoReset), which the task cannot tell from
// a fresh one. The error is nil on success; otherwise it is an *ExitError,
// *TrapError, *TaskError, *FuelError, *LimitError or wraps ErrTimeout,
// ErrCanceled, ErrMemoryLimit, ErrOutputLimit, ErrCallDepth or ErrClosed.
func (r *Runtime) Run(ctx context.Context, m *Module, req Request) (*Result, error) {
	lim := req.Limits.withDefaults(r.cfg.Defaults)
	if err := lim.check(r.cfg.Max); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	if need := uint64(m.shape.memMinPages) << 16; m.shape.hasMemory && need > uint64(lim.MemoryBytes) {
		return &Result{}, fmt.Errorf("%w: module needs %d bytes of memory at start, quota is %d",
			ErrMemoryLimit, need, lim.MemoryBytes)
	}

	t := &task{input: req.Input, kv: r.cfg.KV, kvMax: r.cfg.KVNamespaceBytes, namespace: req.Namespace,
		config: req.Config, pure: m.pure, checkpoint: req.Checkpoint, onCheckpoint: req.OnCheckpoint,
		onProgress: req.OnProgress}
	if req.KV != nil {
		t.kv = req.KV
	}
	t.spawner = req.Spawner
	t.meter = meter{budget: lim.Fuel, slice: r.cfg.SliceFuel, yielder: req.Yielder}
	t.mem.limit = uint64(lim.MemoryBytes)
	t.logs.limit = lim.LogBytes
	t.out.limit = lim.OutputBytes
	if m.shape.hasTables {
		// Refused before anything is allocated.
		t.tables = lim.tableElements(r.cfg.Max.TableElements)
		if m.shape.tableMin > uint64(t.tables) {
			return &Result{}, fmt.Errorf("%w: module needs %d table elements at start, the limit is %d",
				ErrMemoryLimit, m.shape.tableMin, t.tables)
		}
	}

	// The task's context only adds the task, for the host functions. The
	// deadline, the output limit and the caller's cancellation stop the
	// task at its next fuel slice (sliceBoundary); a timer for the deadline
	// is made only if the task yields (yieldContext). Each instantiation
	// sets its own memory allocator.
	t.deadline = time.Now().Add(lim.Timeout)
	defer func() {
		if t.waitCancel != nil {
			t.waitCancel()
		}
	}()
	ctx = context.WithValue(ctx, taskKey{}, t)

	if m.pure && !req.Grants.Deterministic() {
		return nil, fmt.Errorf("%w: a pure module may not be granted a real clock or random source", ErrGrant)
	}
	start := time.Now()
	err := r.start(ctx, m, t, req, lim)
	if errors.Is(err, ErrGrant) {
		return nil, err
	}
	t.finishLogs()
	res := &Result{
		Output:     t.out.Bytes(),
		Logs:       t.logs.Bytes(),
		Duration:   time.Since(start),
		FuelUsed:   t.meter.used,
		Progress:   t.progress,
		Checkpoint: t.checkpoint,
		Source:     t.source, MemoryBytes: t.memBytes,
		KVOps: t.kvOps, Checkpoints: t.checkpoints,
	}
	if !t.called.IsZero() {
		res.Instantiate = t.called.Sub(start)
	}
	if err == nil && t.meter.used > t.meter.budget {
		// The run ended between two checks with the budget overdrawn.
		err = &FuelError{Used: t.meter.used, Budget: t.meter.budget}
	}
	return res, t.classify(ctx, err)
}

// call runs the task in mod, a fresh or warm instance: _start for a
// wasi-command, otherwise nexus_run, after _initialize when initialise is
// set.
func (r *Runtime) call(ctx context.Context, m *Module, t *task, mod api.Module, initialise bool) error {
	// Instrumented code keeps the fuel in a local and stores it to the
	// global before every call and return, so after the run the global is
	// current as of the guest's last call. A run stopped inside a slice
	// boundary (budget, deadline, cancellation) has the exact figure in
	// meter.used instead; the larger of the two is the best known.
	t.called = time.Now()
	defer func() {
		t.meter.used = max(t.meter.used, t.meter.usedWith(int64(t.meter.global.Get())))
		if mem := mod.Memory(); mem != nil {
			t.memBytes = uint64(mem.Size())
		}
	}()
	if err := t.meter.prime(); err != nil {
		return err
	}
	if m.profile == abi.ProfileWASICommand {
		_, err := mod.ExportedFunction(abi.ExportStart).Call(ctx)
		return err
	}
	// Asking wazero for an export the module lacks costs a formatted
	// error, so the export list decides.
	if initialise && hasExport(m.exports, abi.ExportInitialize) {
		if init := mod.ExportedFunction(abi.ExportInitialize); init != nil {
			if _, err := init.Call(ctx); err != nil {
				return err
			}
		}
	}
	res, err := mod.ExportedFunction(abi.ExportRun).Call(ctx)
	if err != nil {
		return err
	}
	if len(res) != 1 {
		return &TrapError{Message: "nexus_run must return one i32"}
	}
	if code := int32(api.DecodeI32(res[0])); code != 0 {
		msg := t.errMsg
		if msg == "" {
			msg = fmt.Sprintf("nexus_run returned %d", code)
		}
		return &TaskError{Code: code, Message: msg}
	}
	return nil
}

// classify turns what wazero returned into the package's typed errors.
func (t *task) classify(ctx context.Context, err error) error {
	if t.out.Exceeded() {
		return fmt.Errorf("%w: output passed %d bytes", ErrOutputLimit, t.out.limit)
	}
	if errors.Is(err, ErrTimeout) {
		return ErrTimeout
	}
	if cause := context.Cause(ctx); cause != nil && err != nil {
		return fmt.Errorf("%w: %v", ErrCanceled, cause)
	}
	if err == nil {
		return nil
	}
	var te *TaskError
	if errors.As(err, &te) {
		return te
	}
	var fe *FuelError
	if errors.As(err, &fe) {
		return fe
	}
	if errors.Is(err, ErrCallDepth) {
		return fmt.Errorf("%w: more than %d nested calls", ErrCallDepth, fuel.DefaultMaxCallDepth)
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		return pe
	}
	var tr *TrapError
	if errors.As(err, &tr) {
		return tr
	}
	if t.mem.refused.Load() {
		return fmt.Errorf("%w: growth past %d bytes was refused (%v)", ErrMemoryLimit, t.mem.limit, err)
	}
	if t.mem.tablesRefused {
		return fmt.Errorf("%w: table growth past %d elements was refused (%v)", ErrMemoryLimit, t.tables, err)
	}
	var ee *sys.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() == 0 {
			return nil
		}
		return &ExitError{Code: ee.ExitCode()}
	}
	return &TrapError{Message: trapMessage(err)}
}

// trapMessage strips wazero's wrapping down to the guest-relevant part,
// keeping the Wasm stack trace that follows it.
func trapMessage(err error) string {
	msg := err.Error()
	if i := bytes.Index([]byte(msg), []byte("failed: ")); i >= 0 && i < 120 {
		msg = msg[i+len("failed: "):]
	}
	return msg
}
