package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// features are the core features guests may use: WebAssembly 2.0, which is
// what the fuel instrumenter understands. Threads, tail calls and exception
// handling stay off.
const features = api.CoreFeaturesV2

// Runtime compiles and runs guest modules. It is safe for concurrent use.
type Runtime struct {
	cfg   Config
	rt    wazero.Runtime
	cache wazero.CompilationCache
	// validator compiles original modules with the interpreter, which
	// validates them fully at a fraction of the compiler's cost.
	validator wazero.Runtime
	// readyBytes is the linear memory of the ready instances (pool_ready.go).
	readyBytes atomic.Int64
	// resetBytes is the linear memory of the idle reset instances
	// (pool_reset.go), bounded with readyBytes by the same budget.
	resetBytes atomic.Int64
	counts     instanceCounts // InstanceStats
	resets     resetPools     // pools holding reset instances, for ReleaseIdle
	pressure   pressureGauge  // whether the system is short of memory
	// bg tracks background work (ready-pool refills), which Close waits
	// for; bgMu guards closing and bg.Add.
	bgMu    sync.Mutex
	closing bool
	bg      sync.WaitGroup

	closeOnce sync.Once
}

// New returns a Runtime with the host modules (WASI, nexus_v1 and the fuel
// imports) instantiated once and shared by every task.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Defaults = cfg.Defaults.withDefaults(DefaultLimits())
	cfg.Max = cfg.Max.resolveMax()
	if cfg.SliceFuel == 0 {
		cfg.SliceFuel = DefaultSliceFuel
	}
	if cfg.SnapshotFuel == 0 {
		cfg.SnapshotFuel = DefaultSnapshotFuel
	}
	if cfg.SnapshotTimeout == 0 {
		cfg.SnapshotTimeout = DefaultSnapshotTimeout
	}
	if cfg.KVNamespaceBytes == 0 {
		cfg.KVNamespaceBytes = DefaultKVNamespaceBytes
	}
	// Deadlines and cancellation are enforced at fuel-slice boundaries, so
	// WithCloseOnContextDone (and its per-call cost) is not used.
	rc := wazero.NewRuntimeConfig().WithCoreFeatures(features)
	r := &Runtime{cfg: cfg}
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("host: compilation cache: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: compilation cache: %w", err)
		}
		r.cache = c
		rc = rc.WithCompilationCache(c)
	}
	r.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	r.validator = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(features))
	for name, inst := range map[string]func(context.Context, wazero.Runtime) error{
		abi.ModuleWASI: func(ctx context.Context, rt wazero.Runtime) error {
			_, err := wasi_snapshot_preview1.Instantiate(experimental.WithFunctionListenerFactory(ctx, wasiStateListeners), rt)
			return err
		},
		abi.ModuleNexus:   instantiateNexus,
		fuel.ImportModule: instantiateMetering,
	} {
		if err := inst(ctx, r.rt); err != nil {
			r.Close(ctx)
			return nil, fmt.Errorf("host: instantiate %s: %w", name, err)
		}
	}
	return r, nil
}

// Close releases every compiled module and the compilation cache handle.
// Modules must not be run after Close.
func (r *Runtime) Close(ctx context.Context) error {
	var err error
	r.closeOnce.Do(func() {
		r.bgMu.Lock()
		r.closing = true
		r.bgMu.Unlock()
		r.bg.Wait()
		err = errors.Join(r.rt.Close(ctx), r.validator.Close(ctx))
		if r.cache != nil {
			err = errors.Join(err, r.cache.Close(ctx))
		}
	})
	return err
}

// Module is a compiled guest module, shared by all tasks that run it.
// It is safe for concurrent use; Close waits for running tasks.
type Module struct {
	compiled wazero.CompiledModule
	profile  abi.Profile
	pure     bool
	exports  []string
	imports  []Import
	shape    *shape
	// readsSources: the module imports a WASI function that reads the
	// clocks or the random source, which each fresh instance then needs
	// its own deterministic copies of.
	readsSources bool
	// spawns: the module imports task_spawn (abi_spawn_instance.go).
	spawns bool
	fast   fastPath // snapshot, base configurations, warm instances
	// effects is what the code can change besides memory and globals, if
	// the artifact records it (effectsKnown).
	effects      fuel.Effects
	effectsKnown bool
	rt           *Runtime

	mu     sync.RWMutex // held for reading by each Run, for writing by Close
	closed bool
}

// Profile returns the module's ABI profile.
func (m *Module) Profile() abi.Profile { return m.profile }

// Pure reports whether the module declares itself pure by exporting
// nexus_pure: its result depends only on its input and configuration.
func (m *Module) Pure() bool { return m.pure }

// Exports returns the sorted names of the module's exports. The slice must
// not be modified.
func (m *Module) Exports() []string { return m.exports }

// Imports returns the module's imports in declaration order. The slice must
// not be modified.
func (m *Module) Imports() []Import { return m.imports }

// Close waits for tasks running the module to finish, then frees its code.
func (m *Module) Close(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	m.fast.close(ctx, m.rt)
	return m.compiled.Close(ctx)
}

// ArtifactKey names the instrumented artifact of the module with digest:
// the digest plus the instrumenter and cost-table versions, so a new cost
// table re-instruments stored modules on their next load.
func ArtifactKey(digest string) string {
	return fmt.Sprintf("%s+fuel%d.costs%d", digest, fuel.Version, fuel.CostTableVersion)
}

// Prepare validates wasm and returns its fuel-instrumented artifact, which
// is what Compile runs. Every refusal wraps ErrInvalidModule and says what
// is wrong: not Wasm, truncated, an import outside the ABI, a reserved
// export name, no profile, a refused feature, a memory or table minimum
// above the server's ceilings (Config.Max), or a validation error.
//
// Prepare honours ctx between its phases and while validating: when ctx's
// deadline passes first it returns an error wrapping ErrCompileTimeout
// (and so ErrInvalidModule: a module too expensive to prepare in the time
// allowed is refused), when ctx is canceled one wrapping ErrCanceled and
// ctx.Err(). Callers bound the time an upload may take by the deadline of
// ctx.
func (r *Runtime) Prepare(ctx context.Context, wasm []byte) ([]byte, error) {
	if err := compileCtxErr(ctx, "before validation"); err != nil {
		return nil, err
	}
	sh, err := inspectChecked(wasm)
	if err != nil {
		return nil, err
	}
	if err := r.checkCeilings(sh); err != nil {
		return nil, err
	}
	// The instrumenter first: it refuses a module over a structural limit
	// in microseconds, before wazero's validator spends seconds and
	// hundreds of megabytes on it, and it decodes untrusted bytes safely.
	art, err := fuel.Instrument(wasm, fuel.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	if err := compileCtxErr(ctx, "instrumentation"); err != nil {
		return nil, err
	}
	if err := r.validate(ctx, wasm); err != nil {
		return nil, err
	}
	return art, nil
}

// Compile compiles the artifact Prepare made of wasm. With a nil artifact it
// prepares one first. An artifact from a previous Prepare of the same bytes
// (and the same ArtifactKey) is trusted, so a restart does not validate and
// instrument again, and the compilation cache spares compiling again. A
// damaged entry of the compilation cache is removed and the module
// compiled again.
//
// Compile honours ctx as Prepare does; wazero's compiler checks it between
// functions.
func (r *Runtime) Compile(ctx context.Context, wasm, artifact []byte) (*Module, error) {
	sh, err := inspectChecked(wasm)
	if err != nil {
		return nil, err
	}
	if artifact == nil {
		if artifact, err = r.Prepare(ctx, wasm); err != nil {
			return nil, err
		}
	}
	compiled, err := r.compile(ctx, artifact)
	if err != nil {
		if cerr := compileCtxErr(ctx, "compilation"); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("%w: instrumented module: %v", ErrInvalidModule, err)
	}
	m := &Module{compiled: compiled, imports: sh.imports, shape: sh, readsSources: readsSources(sh.imports), rt: r,
		spawns: ImportsSpawn(sh.imports)}
	m.effects, m.effectsKnown = fuel.ReadEffects(artifact)
	m.exports = append([]string(nil), sh.exports...)
	sort.Strings(m.exports)
	m.pure = abi.DeclaresPure(m.exports)
	if m.profile, err = abi.DetectProfile(m.exports); err != nil {
		compiled.Close(ctx)
		return nil, fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	if m.effectsKnown && !m.effects.WritesTables {
		m.fast.artifact = artifact // for its reset instances' code (reset_state.go)
	}
	return m, nil
}

// inspectChecked reads wasm's shape and applies the ABI's rules on imports,
// exports and profile.
func inspectChecked(wasm []byte) (*shape, error) {
	sh, err := inspect(wasm)
	if err == nil {
		err = sh.check()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	return sh, nil
}

// check refuses imports outside the ABI, nexus_v1 functions this host does
// not provide, reserved export names and modules with no profile.
func (s *shape) check() error {
	for _, imp := range s.imports {
		if err := abi.CheckImport(imp.Module, imp.Name); err != nil {
			return err
		}
		if imp.Kind != "func" {
			return fmt.Errorf("import %s.%s is a %s; only functions may be imported", imp.Module, imp.Name, imp.Kind)
		}
		if imp.Module == abi.ModuleNexus && !nexusProvided[imp.Name] {
			return fmt.Errorf("import %s.%s is not provided by this host", imp.Module, imp.Name)
		}
	}
	for _, e := range s.exports {
		if err := abi.CheckExport(e); err != nil {
			return err
		}
	}
	_, err := abi.DetectProfile(s.exports)
	return err
}
