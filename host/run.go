package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// Request is one task for Run.
type Request struct {
	// Input is stdin (wasi-command) or what input_read returns (nexus-v1).
	// Run does not modify it.
	Input []byte
	// Limits bound the task; zero fields take the runtime's defaults.
	Limits Limits
}

// Result is what a task produced. Run returns it on failure too, with the
// output and logs written up to the failure.
type Result struct {
	Output   []byte
	Logs     []byte
	Duration time.Duration
	// Progress is the last (done, total) the guest reported, if any.
	Progress [2]int64
	// Checkpoint is the last state the guest saved, if any.
	Checkpoint []byte
}

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
}

type taskKey struct{}

func taskFrom(ctx context.Context) *task {
	t, _ := ctx.Value(taskKey{}).(*task)
	return t
}

// Run runs one task of m in a fresh instance and closes the instance before
// returning. The error is nil on success; otherwise it is an *ExitError,
// *TrapError, *TaskError, *LimitError or wraps ErrTimeout, ErrCanceled,
// ErrMemoryLimit, ErrOutputLimit or ErrClosed.
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

	t := &task{input: req.Input}
	t.mem.limit = uint64(lim.MemoryBytes)
	t.logs.limit = lim.LogBytes
	t.out.limit = lim.OutputBytes

	ctx, cancelTimeout := context.WithTimeoutCause(ctx, lim.Timeout, ErrTimeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	t.out.onExceed = func() { cancel(ErrOutputLimit) }
	ctx = context.WithValue(ctx, taskKey{}, t)
	ctx = experimental.WithMemoryAllocator(ctx, &t.mem)

	start := time.Now()
	err := r.instantiateAndRun(ctx, m, t)
	res := &Result{
		Output:     t.out.Bytes(),
		Logs:       t.logs.Bytes(),
		Duration:   time.Since(start),
		Progress:   t.progress,
		Checkpoint: t.checkpoint,
	}
	return res, t.classify(ctx, err)
}

func (r *Runtime) instantiateAndRun(ctx context.Context, m *Module, t *task) error {
	cfg := wazero.NewModuleConfig().WithName("").WithStderr(&t.logs)
	if m.profile == abi.ProfileWASICommand {
		cfg = cfg.WithStdin(bytes.NewReader(t.input)).WithStdout(&t.out)
		mod, err := r.rt.InstantiateModule(ctx, m.compiled, cfg)
		if mod != nil {
			mod.Close(ctx)
		}
		return err
	}
	mod, err := r.rt.InstantiateModule(ctx, m.compiled, cfg.WithStartFunctions())
	if err != nil {
		return err
	}
	defer mod.Close(ctx)
	if init := mod.ExportedFunction(abi.ExportInitialize); init != nil {
		if _, err := init.Call(ctx); err != nil {
			return err
		}
	}
	run := mod.ExportedFunction(abi.ExportRun)
	res, err := run.Call(ctx)
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
	if cause := context.Cause(ctx); cause != nil && (err != nil || t.out.Exceeded()) {
		switch {
		case errors.Is(cause, ErrOutputLimit):
			return fmt.Errorf("%w: output passed %d bytes", ErrOutputLimit, t.out.limit)
		case errors.Is(cause, ErrTimeout):
			return ErrTimeout
		default:
			return fmt.Errorf("%w: %v", ErrCanceled, cause)
		}
	}
	if t.out.Exceeded() {
		return fmt.Errorf("%w: output passed %d bytes", ErrOutputLimit, t.out.limit)
	}
	if err == nil {
		return nil
	}
	var te *TaskError
	if errors.As(err, &te) {
		return te
	}
	var tr *TrapError
	if errors.As(err, &tr) {
		return tr
	}
	if t.mem.refused.Load() {
		return fmt.Errorf("%w: growth past %d bytes was refused (%v)", ErrMemoryLimit, t.mem.limit, err)
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
