package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Runtime compiles and runs guest modules. It is safe for concurrent use.
type Runtime struct {
	cfg   Config
	rt    wazero.Runtime
	cache wazero.CompilationCache

	closeOnce sync.Once
}

// New returns a Runtime with the host modules (WASI and nexus_v1)
// instantiated once and shared by every task.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Defaults = cfg.Defaults.withDefaults(DefaultLimits())
	rc := wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2).
		// Deadlines and cancellation interrupt guests through the context.
		WithCloseOnContextDone(true)
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
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.rt); err != nil {
		r.rt.Close(ctx)
		return nil, fmt.Errorf("host: instantiate WASI: %w", err)
	}
	if err := instantiateNexus(ctx, r.rt); err != nil {
		r.rt.Close(ctx)
		return nil, fmt.Errorf("host: instantiate %s: %w", abi.ModuleNexus, err)
	}
	return r, nil
}

// Close releases every compiled module and the compilation cache handle.
// Modules must not be run after Close.
func (r *Runtime) Close(ctx context.Context) error {
	var err error
	r.closeOnce.Do(func() {
		err = r.rt.Close(ctx)
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
	exports  []string
	imports  []Import
	shape    *shape

	mu     sync.RWMutex // held for reading by each Run, for writing by Close
	closed bool
}

// Profile returns the module's ABI profile.
func (m *Module) Profile() abi.Profile { return m.profile }

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
	return m.compiled.Close(ctx)
}

// Compile validates and compiles wasm. Every refusal wraps ErrInvalidModule
// and says what is wrong: not Wasm, truncated, an import outside the ABI, a
// reserved export name, no profile, or a wazero validation error.
func (r *Runtime) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	sh, err := inspect(wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	for _, imp := range sh.imports {
		if err := checkImport(imp); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidModule, err)
		}
	}
	compiled, err := r.rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	m := &Module{compiled: compiled, imports: sh.imports, shape: sh}
	m.exports = append([]string(nil), sh.exports...)
	sort.Strings(m.exports)
	err = func() error {
		for _, e := range m.exports {
			if err := abi.CheckExport(e); err != nil {
				return err
			}
		}
		m.profile, err = abi.DetectProfile(m.exports)
		return err
	}()
	if err != nil {
		compiled.Close(ctx)
		return nil, fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	return m, nil
}

// checkImport refuses imports outside the ABI and nexus_v1 functions this
// host does not provide yet.
func checkImport(imp Import) error {
	if err := abi.CheckImport(imp.Module, imp.Name); err != nil {
		return err
	}
	if imp.Kind != "func" {
		return fmt.Errorf("import %s.%s is a %s; only functions may be imported", imp.Module, imp.Name, imp.Kind)
	}
	if imp.Module == abi.ModuleNexus && !nexusProvided[imp.Name] {
		return fmt.Errorf("import %s.%s is not provided by this host", imp.Module, imp.Name)
	}
	return nil
}
