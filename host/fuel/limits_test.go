package fuel_test

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/fuel/fueltest"
)

// limitCases are modules just past one default limit each, and the attack
// shapes (limit "": any).
func limitCases() []struct {
	name, limit string
	mod         fueltest.Module
} {
	l := fuel.DefaultLimits()
	return []struct {
		name, limit string
		mod         fueltest.Module
	}{
		{"functions and globals", "functions", fueltest.Module{Funcs: 400_000, Globals: 100_000}},
		{"globals", "globals", fueltest.Module{Funcs: 1, Globals: int(l.Globals) + 1}},
		{"global reloads", "global reloads", fueltest.Module{Funcs: 20_000, Globals: 5_000, Body: fueltest.TouchGlobal}},
		{"nesting", "nesting", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.Nested(int(l.Nesting) + 1) }}},
		{"branches", "branches", fueltest.Module{Funcs: 1, Body: func(int) []byte {
			return bytes.Repeat([]byte{0x41, 0, 0x0d, 0}, int(l.Branches)+1)
		}}},
		{"br_table", "br_table targets", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.BrTable(int(l.BrTableTargets)) }}},
		{"total br_table targets", "total br_table targets", fueltest.Module{Funcs: int(l.TotalBrTableTargets/l.BrTableTargets) + 1, Body: func(int) []byte {
			return fueltest.BrTable(int(l.BrTableTargets) - 1)
		}}},
		{"code bytes", "code bytes", fueltest.Module{Funcs: int(l.CodeBytes/l.BodyBytes) + 1, Body: func(int) []byte { return fueltest.Straight(int(l.BodyBytes) - 16) }}},
		// The shapes of an attacker review, refused by one limit or another.
		{"attack: 20k functions, 20k globals", "", fueltest.Module{Funcs: 20_000, Globals: 20_000, Body: fueltest.TouchGlobal}},
		{"attack: 100k nested blocks", "", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.Nested(100_000) }}},
		{"attack: 1M nested blocks", "", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.Nested(1_000_000) }}},
		{"attack: 3M-entry br_table", "", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.BrTable(3_000_000) }}},
		{"types", "types", fueltest.Module{Funcs: 1, Types: int(l.Types)}},
		{"exports", "exports", fueltest.Module{Funcs: 1, Exports: int(l.Exports)}},
		{"data segments", "data segments", fueltest.Module{Funcs: 1, Datas: int(l.DataSegments) + 1}},
		{"element segments", "element segments", fueltest.Module{Funcs: 1, Elems: int(l.ElementSegments) + 1}},
		{"tables", "tables", fueltest.Module{Funcs: 1, Tables: int(l.Tables) + 1}},
		{"table elements", "table elements", fueltest.Module{Funcs: 1, Tables: 1, TableMin: 0x7fffffff}},
		{"locals", "locals", fueltest.Module{Funcs: 1, Locals: l.Locals + 1}},
		{"total locals", "total locals", fueltest.Module{Funcs: int(l.TotalLocals/l.Locals) + 1, Locals: l.Locals - 1}},
		{"body bytes", "body bytes", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.Straight(int(l.BodyBytes) + 3) }}},
	}
}

// TestLimits checks that a module past each default limit is refused with
// a *LimitError naming it, cheaply: its allocations stay a small multiple
// of the input's size.
func TestLimits(t *testing.T) {
	for _, tc := range limitCases() {
		t.Run(tc.name, func(t *testing.T) {
			wasm := tc.mod.Encode()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := fuel.Instrument(wasm, fuel.DefaultConfig())
			runtime.ReadMemStats(&after)
			var le *fuel.LimitError
			if !errors.As(err, &le) || tc.limit != "" && le.Limit != tc.limit || !errors.Is(err, fuel.ErrLimit) {
				t.Fatalf("got %v, want a *LimitError for %s", err, tc.limit)
			}
			if le.Value <= le.Max {
				t.Errorf("value %d within max %d", le.Value, le.Max)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*uint64(len(wasm))+1<<20 {
				t.Errorf("refusing a %d-byte module allocated %d bytes", len(wasm), alloc)
			}
			t.Log(err)
		})
	}
}

// TestLimitsConfigurable checks that Config.Limits overrides a default and
// that a zero field keeps it.
func TestLimitsConfigurable(t *testing.T) {
	wasm := fueltest.Module{Funcs: 10}.Encode()
	if _, err := fuel.Instrument(wasm, fuel.Config{Limits: fuel.Limits{Functions: 10}}); err != nil {
		t.Fatal(err)
	}
	_, err := fuel.Instrument(wasm, fuel.Config{Limits: fuel.Limits{Functions: 9}})
	if want := "fuel: module exceeds limit: functions 10 > 9"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// BenchmarkLimitRefusal measures what Instrument spends refusing each
// module of limitCases, the attack shapes among them:
//
//	go test ./host/fuel -run '^$' -bench LimitRefusal -benchmem
func BenchmarkLimitRefusal(b *testing.B) {
	for _, tc := range limitCases() {
		wasm := tc.mod.Encode()
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := fuel.Instrument(wasm, fuel.DefaultConfig()); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
