package fuel_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/tetratelabs/wazero"
)

// TestHostile runs guests written to exhaust the host and checks each is
// stopped with the expected outcome, without growing the host's heap.
func TestHostile(t *testing.T) {
	tests := []struct {
		name   string
		wasm   string
		budget int64
		calls  []string // export to call; "" means instantiation alone
		args   []uint64
		want   error
	}{
		{"infinite loop", "infinite_loop", 1e7, []string{"run"}, nil, errFuelExhausted},
		{"loop-free exponential recursion", "exp_recursion", 1e7, []string{"run"}, []uint64{60}, errFuelExhausted},
		{"deep recursion", "deep_recursion", unlimited, []string{"run"}, []uint64{1 << 30}, errDepthExceeded},
		{"deep recursion through a table", "indirect_recursion", unlimited, []string{"run_table"}, []uint64{1 << 30}, errDepthExceeded},
		{"deep mutual recursion", "indirect_recursion", unlimited, []string{"run_mutual"}, []uint64{1 << 30}, errDepthExceeded},
		{"memory.fill of 4 GiB", "memory_fill", 1e6, []string{"fill"}, []uint64{0xffffffff}, errFuelExhausted},
		{"memory.grow loop", "grow_loop", 1e7, []string{"run"}, nil, errFuelExhausted},
		{"infinite loop in start", "start_loop", 1e7, []string{""}, nil, errFuelExhausted},
		{"table.grow loop", "table_grow", 1e7, []string{"run"}, nil, errFuelExhausted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t)
			ctx := context.Background()
			c, err := r.CompileModule(ctx, instrument(t, readWasm(t, "wat/"+tc.wasm+".wasm")))
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m := newMeter(tc.budget, 10_000)
			ctx = withMeter(ctx, m)
			mod, err := r.InstantiateModule(ctx, c, wazero.NewModuleConfig().WithName(""))
			if err == nil {
				_, err = mod.ExportedFunction(tc.calls[0]).Call(ctx, tc.args...)
				mod.Close(ctx) // the guest's own memory (bounded by its maximum) goes too
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
				t.Errorf("heap grew by %d bytes", grew)
			}
			t.Logf("stopped after %d slices: %v", m.slices, firstLine(err))
		})
	}
}

// TestChargeBeforeBulkOperation shows that a bulk operation is paid for
// before it runs: the original traps out of bounds, the instrumented module
// is stopped for fuel first, and a fill that would fit in memory but not
// in the budget leaves memory untouched.
func TestChargeBeforeBulkOperation(t *testing.T) {
	ctx := context.Background()
	r := newRuntime(t)
	orig, err := r.Instantiate(ctx, readWasm(t, "wat/memory_fill.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orig.ExportedFunction("fill").Call(ctx, 0xffffffff); err == nil {
		t.Fatal("original: want out of bounds trap")
	}
	c, err := r.CompileModule(ctx, instrument(t, readWasm(t, "wat/memory_fill.wasm")))
	if err != nil {
		t.Fatal(err)
	}
	// Growing 1024 pages costs about 1M fuel; filling them, another 1M.
	m := newMeter(1_500_000, 1e6)
	mctx := withMeter(ctx, m)
	mod, err := r.InstantiateModule(mctx, c, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := mod.ExportedFunction("grow").Call(mctx, 1024); err != nil || res[0] != 1 {
		t.Fatalf("grow: %v %v", res, err)
	}
	size := mod.Memory().Size()
	if _, err := mod.ExportedFunction("fill").Call(mctx, uint64(size)); !errors.Is(err, errFuelExhausted) {
		t.Fatalf("fill: got %v, want fuel exhausted", err)
	}
	for _, at := range []uint32{0, size / 2, size - 1} {
		if b, _ := mod.Memory().ReadByte(at); b != 0 {
			t.Fatalf("memory written at %d before the fill was paid for", at)
		}
	}
}

// TestRefused checks the errors for modules the instrumenter must refuse,
// hand-encoded because no assembler produces them.
func TestRefused(t *testing.T) {
	// One function of type () -> () whose body is code, plus sections
	// between the function and code sections (table to element).
	fn := func(code []byte, more ...[]byte) []byte {
		m := []byte("\x00asm\x01\x00\x00\x00")
		m = append(m, section(1, []byte{1, 0x60, 0, 0})...)
		m = append(m, section(3, []byte{1, 0})...)
		for _, s := range more {
			m = append(m, s...)
		}
		body := append([]byte{0}, code...)
		body = append(body, 0x0b)
		return append(m, section(10, append([]byte{1, byte(len(body))}, body...))...)
	}
	var (
		decode      *fuel.DecodeError
		unsupported *fuel.UnsupportedError
	)
	tests := []struct {
		name string
		wasm []byte
		want any // error value or pointer to error type
	}{
		{"global.set of the fuel global", fn([]byte{0x42, 0, 0x24, 0}), fuel.ErrReservedIndex},
		{"global.get past the globals", fn([]byte{0x23, 1, 0x1a}, section(6, []byte{1, 0x7f, 0, 0x41, 0, 0x0b})), fuel.ErrReservedIndex},
		{"call of the slice import's index", fn([]byte{0x10, 1}), fuel.ErrReservedIndex},
		{"call of a helper's index", fn([]byte{0x10, 3}), fuel.ErrReservedIndex},
		{"ref.func of the depth import's index", fn([]byte{0xd2, 2, 0x1a}), fuel.ErrReservedIndex},
		{"local.get of the fuel cache", fn([]byte{0x20, 0, 0x1a}), fuel.ErrReservedIndex},
		{"call_indirect of an added type", fn([]byte{0x41, 0, 0x11, 1, 0}), fuel.ErrReservedIndex},
		{"branch past the function", fn([]byte{0x0c, 1}), &decode},
		{"import from nexus_fuel", importing("nexus_fuel", "slice"), fuel.ErrReservedName},
		{"reserved export", fn(nil, section(7, append(append([]byte{1}, name("__nexus_fuel")...), 0, 0))), fuel.ErrReservedName},
		{"atomics", fn([]byte{0xfe, 0x03, 0x00}), &unsupported},
		{"tail call", fn([]byte{0x12, 0}), &unsupported},
		{"exception handling", fn([]byte{0x06, 0x40, 0x0b}), &unsupported},
		{"shared memory", fn(nil, section(5, []byte{1, 3, 1, 1})), &unsupported},
		{"memory64", fn(nil, section(5, []byte{1, 4, 1})), &unsupported},
		{"two memories", fn(nil, section(5, []byte{2, 0, 1, 0, 1})), &unsupported},
		{"tag section", append([]byte("\x00asm\x01\x00\x00\x00"), section(13, []byte{0})...), &unsupported},
		{"billions of locals", fn([]byte{}), nil}, // replaced below
		{"bad magic", []byte("\x00wasm\x01\x00\x00"), &decode},
		{"truncated", fn(nil)[:20], &decode},
	}
	for i := range tests {
		if tests[i].name == "billions of locals" {
			body := []byte{1, 0xf0, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b}
			m := append([]byte("\x00asm\x01\x00\x00\x00"), section(1, []byte{1, 0x60, 0, 0})...)
			m = append(m, section(3, []byte{1, 0})...)
			tests[i].wasm = append(m, section(10, append([]byte{1, byte(len(body))}, body...))...)
			tests[i].want = fuel.ErrLimit
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fuel.Instrument(tc.wasm, fuel.DefaultConfig())
			var ok bool
			switch want := tc.want.(type) {
			case error:
				ok = errors.Is(err, want)
			default:
				ok = err != nil && errors.As(err, want)
			}
			if !ok {
				t.Fatalf("got %v, want %T %v", err, tc.want, tc.want)
			}
			t.Log(err)
		})
	}
}

func section(id byte, payload []byte) []byte {
	return append([]byte{id, byte(len(payload))}, payload...)
}

func name(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// importing returns a module importing module.field as a function (i64) -> i64.
func importing(module, field string) []byte {
	imp := append(append([]byte{1}, name(module)...), name(field)...)
	imp = append(imp, 0, 0)
	m := append([]byte("\x00asm\x01\x00\x00\x00"), section(1, []byte{1, 0x60, 1, 0x7e, 1, 0x7e})...)
	return append(m, section(2, imp)...)
}
