package fuel_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Outcomes of the test host, raised from host functions as panics so wazero
// unwinds the guest and returns them from Call or Instantiate.
var (
	errFuelExhausted = errors.New("test host: fuel exhausted")
	errDepthExceeded = errors.New("test host: call depth exceeded")
)

// meter is the host side of the fuel contract, implemented exactly as the
// fuel package documents it: given is the total fuel handed out.
type meter struct {
	budget    int64
	sliceSize int64
	given     int64
	slices    int   // number of slice calls
	overshoot int64 // fuel used past the budget when the run was stopped

	tableLimit int64   // most table elements table_room allows; 0 means any
	tableAsks  []int64 // totals table_room was asked about
}

// tableRoom is the host side of ImportTableRoom.
func (m *meter) tableRoom(total int64) bool {
	m.tableAsks = append(m.tableAsks, total)
	return m.tableLimit == 0 || total <= m.tableLimit
}

const unlimited = int64(1e15)

func newMeter(budget, sliceSize int64) *meter {
	return &meter{budget: budget, sliceSize: sliceSize}
}

type meterKey struct{}

func withMeter(ctx context.Context, m *meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

func (m *meter) slice(remaining int64) int64 {
	m.slices++
	used := m.given - remaining
	if used > m.budget {
		m.overshoot = used - m.budget
		panic(fmt.Errorf("%w: used %d of %d", errFuelExhausted, used, m.budget))
	}
	next := min(m.sliceSize, m.budget-used)
	m.given = used + next
	return next
}

// used returns the fuel used by a finished run, given what is left in the
// instance's fuel global.
func (m *meter) used(left int64) int64 { return m.given - left }

// instantiateMeterHost adds the nexus_fuel module to r. Each call finds its
// meter in the context; with none, fuel is unlimited.
func instantiateMeterHost(ctx context.Context, t testing.TB, r wazero.Runtime) {
	t.Helper()
	_, err := r.NewHostModuleBuilder(fuel.ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
			m, _ := ctx.Value(meterKey{}).(*meter)
			if m == nil {
				stack[0] = uint64(unlimited)
				return
			}
			stack[0] = uint64(m.slice(int64(stack[0])))
		}), []api.ValueType{api.ValueTypeI64}, []api.ValueType{api.ValueTypeI64}).
		Export(fuel.ImportSlice).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {
			panic(errDepthExceeded)
		}), nil, nil).
		Export(fuel.ImportDepth).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
			m, _ := ctx.Value(meterKey{}).(*meter)
			total := int64(stack[0])
			stack[0] = 1
			if m != nil && !m.tableRoom(total) {
				stack[0] = 0
			}
		}), []api.ValueType{api.ValueTypeI64}, []api.ValueType{api.ValueTypeI32}).
		Export(fuel.ImportTableRoom).
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
}

// newRuntime returns a compiler runtime with WebAssembly 2.0 features and
// the test host; it is closed when the test ends.
func newRuntime(t testing.TB) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCoreFeatures(api.CoreFeaturesV2))
	t.Cleanup(func() { r.Close(ctx) })
	instantiateMeterHost(ctx, t, r)
	return r
}

// fuelLeft reads the fuel global of an instrumented instance.
func fuelLeft(t testing.TB, mod api.Module) int64 {
	t.Helper()
	g := mod.ExportedGlobal(fuel.ExportFuelGlobal)
	if g == nil {
		t.Fatalf("no %s export", fuel.ExportFuelGlobal)
	}
	return int64(g.Get())
}

// readWasm reads a committed fixture.
func readWasm(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// instrument instruments with the default config and fails the test on error.
func instrument(t testing.TB, wasm []byte) []byte {
	t.Helper()
	out, err := fuel.Instrument(wasm, fuel.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// metered runs export fn of an instrumented module with budget and returns
// the results, the fuel used and the error. A fresh instance is used each
// time, as the host does. Fuel used is also checked after the run, as the
// host does.
func metered(t testing.TB, r wazero.Runtime, compiled wazero.CompiledModule, budget, sliceSize int64, fn string, args ...uint64) ([]uint64, int64, error) {
	t.Helper()
	m := newMeter(budget, sliceSize)
	ctx := withMeter(context.Background(), m)
	mod, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		return nil, m.given, err
	}
	defer mod.Close(ctx)
	res, err := mod.ExportedFunction(fn).Call(ctx, args...)
	used := m.used(fuelLeft(t, mod))
	if err == nil && used > budget {
		err = fmt.Errorf("%w: used %d of %d after the run", errFuelExhausted, used, budget)
	}
	return res, used, err
}
