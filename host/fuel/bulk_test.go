package fuel_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const (
	bulkMemBytes = 40 << 16  // the test module's memory
	bulkData     = 1_572_864 // its passive data segment, bytes
	bulkTable    = 150_000   // each of its two tables, elements
	bulkElems    = 140_000   // its passive element segment, elements
)

// bulkModule returns a module whose exports run each bulk operation on
// operands from their arguments, over a memory, a data segment, two tables
// and an element segment each larger than a chunk:
//
//	fill, copy, init (i32 i32 i32); tfill (dst, nonnull, len); tcopy,
//	tinit, tcopy01 (table 1 from table 0) (i32 i32 i32); tnull, tnull1
//	(i32) -> i32; tgrow (delta) -> i32
func bulkModule() []byte {
	var out []byte
	section := func(id byte, payload ...[]byte) {
		p := bytes.Join(payload, nil)
		out = append(out, id)
		out = appendULEB(out, uint64(len(p)))
		out = append(out, p...)
	}
	u := func(v uint64) []byte { return appendULEB(nil, v) }
	name := func(s string) []byte { return append(u(uint64(len(s))), s...) }
	out = append(out, 0, 'a', 's', 'm', 1, 0, 0, 0)
	section(1, u(2), []byte{0x60, 3, 0x7f, 0x7f, 0x7f, 0}, []byte{0x60, 1, 0x7f, 1, 0x7f})
	types := []byte{0, 0, 0, 0, 0, 0, 1, 0, 1, 1}
	section(3, u(uint64(len(types))), types)
	table := append([]byte{0x70, 0}, u(bulkTable)...)
	section(4, u(2), table, table)
	section(5, u(1), []byte{0, 40})
	exports := []string{"fill", "copy", "init", "tfill", "tcopy", "tinit", "tnull", "tcopy01", "tgrow", "tnull1"}
	var ex []byte
	for i, n := range exports {
		ex = append(ex, name(n)...)
		ex = append(ex, 0, byte(i))
	}
	ex = append(ex, name("memory")...)
	ex = append(ex, 2, 0)
	section(7, u(uint64(len(exports)+1)), ex)
	elems := []byte{5, 0x70}
	elems = appendULEB(elems, bulkElems)
	for i := range bulkElems {
		if i%3 == 0 {
			elems = append(elems, 0xd0, 0x70, 0x0b)
		} else {
			elems = append(elems, 0xd2, 4, 0x0b)
		}
	}
	section(9, u(1), elems)
	section(12, u(1))
	args := []byte{0x20, 0, 0x20, 1, 0x20, 2}
	bodies := [][]byte{
		append(args, 0xfc, 0x0b, 0),
		append(args, 0xfc, 0x0a, 0, 0),
		append(args, 0xfc, 0x08, 0, 0),
		{0x20, 0, 0xd2, 4, 0xd0, 0x70, 0x20, 1, 0x1c, 1, 0x70, 0x20, 2, 0xfc, 0x11, 0},
		append(args, 0xfc, 0x0e, 0, 0),
		append(args, 0xfc, 0x0c, 0, 0),
		{0x20, 0, 0x25, 0, 0xd1},
		append(args, 0xfc, 0x0e, 1, 0),
		{0xd0, 0x70, 0x20, 0, 0xfc, 0x0f, 0},
		{0x20, 0, 0x25, 1, 0xd1},
	}
	var code []byte
	for _, b := range bodies {
		b = append(append([]byte{0}, b...), 0x0b)
		code = append(code, u(uint64(len(b)))...)
		code = append(code, b...)
	}
	section(10, u(uint64(len(bodies))), code)
	data := make([]byte, bulkData)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	section(11, u(1), []byte{1}, u(bulkData), data)
	return out
}

// bulkOps are the operations of TestBulkOperationsMatchSpec, run in order
// on one instance: in bounds and chunked, overlapping both ways, out of
// bounds (which must trap without writing), and of length 0 at the bounds.
var bulkOps = []struct {
	fn   string
	args [3]uint64
}{
	{"init", [3]uint64{0, 0, 1_500_000}},
	{"init", [3]uint64{10, 5, 1_400_000}},
	{"init", [3]uint64{10, 500_000, 1_100_000}},    // data out of bounds
	{"init", [3]uint64{2_000_000, 0, 1_100_000}},   // memory out of bounds
	{"init", [3]uint64{bulkMemBytes, bulkData, 0}}, // zero at both ends
	{"init", [3]uint64{0, bulkData + 1, 0}},
	{"copy", [3]uint64{0, 500_000, 1_500_000}},   // overlapping, dst < src
	{"copy", [3]uint64{500_000, 3, 1_500_000}},   // overlapping, dst > src
	{"copy", [3]uint64{0, 1_500_000, 1_200_000}}, // src out of bounds
	{"copy", [3]uint64{1_500_000, 0, 1_200_000}}, // dst out of bounds
	{"copy", [3]uint64{7, 7, 2_000_000}},
	{"copy", [3]uint64{bulkMemBytes, bulkMemBytes, 0}},
	{"copy", [3]uint64{bulkMemBytes + 1, 0, 0}},
	{"fill", [3]uint64{100, 0xab, 2_000_000}},
	{"fill", [3]uint64{1_000_000, 1, 2_000_000}}, // out of bounds
	{"fill", [3]uint64{0, 7, 0xffffffff}},        // out of bounds, no overflow
	{"fill", [3]uint64{5, 7, 0xffffffff}},        // end overflows 32 bits
	{"fill", [3]uint64{bulkMemBytes, 5, 0}},
	{"fill", [3]uint64{bulkMemBytes + 1, 5, 0}},
	{"fill", [3]uint64{3, 9, 1000}}, // one chunk
	{"tinit", [3]uint64{0, 0, bulkElems}},
	{"tcopy", [3]uint64{10, 0, 120_000}},          // overlapping, dst > src
	{"tcopy", [3]uint64{0, 10_000, 130_000}},      // overlapping, dst < src
	{"tcopy01", [3]uint64{5, 0, 149_000}},         // between tables
	{"tcopy", [3]uint64{0, 90_000, 70_000}},       // src out of bounds
	{"tfill", [3]uint64{1000, 0, 100_000}},        // nulls
	{"tfill", [3]uint64{100, 1, 70_000}},          // references
	{"tfill", [3]uint64{100_000, 1, 70_000}},      // out of bounds
	{"tinit", [3]uint64{20_000, 10_000, 135_000}}, // element out of bounds
	{"tinit", [3]uint64{20_000, 0, 135_000}},      // table out of bounds
	{"tfill", [3]uint64{bulkTable, 1, 0}},
	{"tfill", [3]uint64{bulkTable + 1, 1, 0}},
}

// TestBulkOperationsMatchSpec runs each bulk operation on the module as
// written, in plain wazero, and instrumented, and checks the two agree on
// whether it traps and on the memory and both tables after it.
func TestBulkOperationsMatchSpec(t *testing.T) {
	ctx := context.Background()
	wasm := bulkModule()
	r := newRuntime(t)
	plain, err := r.InstantiateModule(ctx, mustCompile(t, r, wasm), wazero.NewModuleConfig().WithName("plain"))
	if err != nil {
		t.Fatal(err)
	}
	m := newMeter(unlimited, 1<<40)
	mctx := withMeter(ctx, m)
	inst, err := r.InstantiateModule(mctx, mustCompile(t, r, instrument(t, wasm)), wazero.NewModuleConfig().WithName("metered"))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range bulkOps {
		t.Run(fmt.Sprintf("%s%v", op.fn, op.args), func(t *testing.T) {
			_, perr := plain.ExportedFunction(op.fn).Call(ctx, op.args[:]...)
			inst.ExportedGlobal(fuel.ExportDepthGlobal).(api.MutableGlobal).Set(0)
			_, ierr := inst.ExportedFunction(op.fn).Call(mctx, op.args[:]...)
			if (perr == nil) != (ierr == nil) {
				t.Fatalf("plain: %v, instrumented: %v", perr, ierr)
			}
			pm, _ := plain.Memory().Read(0, bulkMemBytes)
			im, _ := inst.Memory().Read(0, bulkMemBytes)
			if !bytes.Equal(pm, im) {
				t.Fatalf("memories differ after the operation (plain error %v)", perr)
			}
			for _, fn := range []string{"tnull", "tnull1"} {
				if p, i := tableNulls(t, ctx, plain, fn), tableNulls(t, mctx, inst, fn); !bytes.Equal(p, i) {
					t.Fatalf("%s: tables differ after the operation (plain error %v)", fn, perr)
				}
			}
		})
	}
}

// tableNulls returns, for each element of a table, 1 if it is null.
func tableNulls(t *testing.T, ctx context.Context, mod api.Module, fn string) []byte {
	t.Helper()
	f := mod.ExportedFunction(fn)
	out := make([]byte, bulkTable)
	stack := make([]uint64, 1)
	for i := range out {
		stack[0] = uint64(i)
		if err := f.CallWithStack(ctx, stack); err != nil {
			t.Fatal(err)
		}
		out[i] = byte(stack[0])
	}
	return out
}

func mustCompile(t *testing.T, r wazero.Runtime, wasm []byte) wazero.CompiledModule {
	t.Helper()
	c, err := r.CompileModule(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBulkOperationsCallSlice checks that an operation longer than a chunk
// calls the slice import between chunks, with the fuel it has (so the
// accounting does not change), and that one chunk or less does not.
func TestBulkOperationsCallSlice(t *testing.T) {
	ctx := context.Background()
	r := newRuntime(t)
	c := mustCompile(t, r, instrument(t, bulkModule()))
	tests := []struct {
		fn         string
		args       []uint64
		wantSlices int
	}{
		{"fill", []uint64{0, 1, 1 << 20}, 0},
		{"fill", []uint64{0, 1, bulkMemBytes}, 2}, // 2.5 chunks
		{"copy", []uint64{1, 0, 2 << 20}, 1},      // backwards
		{"copy", []uint64{0, 1, 2<<20 + 1}, 2},
		{"init", []uint64{0, 0, bulkData}, 1},
		{"tfill", []uint64{0, 1, 1 << 16}, 0},
		{"tfill", []uint64{0, 1, bulkTable}, 2},
		{"tinit", []uint64{0, 0, bulkElems}, 2},
		{"tcopy01", []uint64{0, 0, bulkTable}, 2},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s%v", tc.fn, tc.args), func(t *testing.T) {
			m := newMeter(unlimited, 1<<40)
			mctx := withMeter(ctx, m)
			mod, err := r.InstantiateModule(mctx, c, wazero.NewModuleConfig().WithName(""))
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close(ctx)
			m.slices = 0
			if _, err := mod.ExportedFunction(tc.fn).Call(mctx, tc.args...); err != nil {
				t.Fatal(err)
			}
			// The fuel global starts at 0, so the first charge of a run
			// takes one slice.
			if m.slices != 1+tc.wantSlices {
				t.Errorf("%d slice calls between chunks, want %d", m.slices-1, tc.wantSlices)
			}
		})
	}
}

// TestTableRoom checks that table.grow asks the host through ImportTableRoom
// about the elements of all tables after the growth, grows on 1 and returns
// -1 without growing on 0; and that a module without table.grow does not
// import it.
func TestTableRoom(t *testing.T) {
	ctx := context.Background()
	r := newRuntime(t)
	c := mustCompile(t, r, instrument(t, bulkModule()))
	m := newMeter(unlimited, 1<<40)
	m.tableLimit = 2*bulkTable + 10
	mctx := withMeter(ctx, m)
	mod, err := r.InstantiateModule(mctx, c, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	grow := mod.ExportedFunction("tgrow")
	for _, tc := range []struct{ delta, want uint64 }{
		{10, bulkTable}, {1, 0xffffffff}, {0, bulkTable + 10}, {0xffffffff, 0xffffffff},
	} {
		res, err := grow.Call(mctx, tc.delta)
		if err != nil {
			t.Fatal(err)
		}
		if uint32(res[0]) != uint32(tc.want) {
			t.Errorf("table.grow %d: got %d, want %d", tc.delta, int32(res[0]), int32(tc.want))
		}
	}
	want := []int64{2*bulkTable + 10, 2*bulkTable + 11, 2*bulkTable + 10, 2*bulkTable + 10 + 0xffffffff}
	if fmt.Sprint(m.tableAsks) != fmt.Sprint(want) {
		t.Errorf("table_room asked about %v, want %v", m.tableAsks, want)
	}

	for _, wasm := range [][]byte{readWasm(t, "wat/loop.wasm"), bulkModule()} {
		c := mustCompile(t, r, instrument(t, wasm))
		imports := 0
		for _, f := range c.ImportedFunctions() {
			if mod, name, _ := f.Import(); mod == fuel.ImportModule && name == fuel.ImportTableRoom {
				imports++
			}
		}
		if grows := bytes.Contains(wasm, []byte{0xfc, 0x0f}); imports != map[bool]int{false: 0, true: 1}[grows] {
			t.Errorf("module with table.grow %v imports table_room %d times", grows, imports)
		}
	}
}

func appendULEB(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
