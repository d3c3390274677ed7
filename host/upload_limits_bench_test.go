package host_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/fuel/fueltest"
)

// uploadCase is one generated module for BenchmarkUploadLimits.
type uploadCase struct {
	name string
	mod  fueltest.Module
}

// uploadAttacks are shapes an attacker review sent before package fuel had
// structural limits: each held an upload for tens of seconds to minutes,
// some with gigabytes. The default limits refuse each before any expensive
// work.
var uploadAttacks = []uploadCase{
	{"attack/funcs=20k,globals=20k", fueltest.Module{Funcs: 20_000, Globals: 20_000, Body: fueltest.TouchGlobal}},
	{"attack/funcs=400k,globals=100k", fueltest.Module{Funcs: 400_000, Globals: 100_000, Body: func(i int) []byte { return fueltest.TouchGlobal(i % 100_000) }}},
	{"attack/nesting=100k", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.Nested(100_000) }}},
	{"attack/nesting=1M", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.Nested(1_000_000) }}},
	{"attack/br_table=3M", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.BrTable(3_000_000) }}},
}

// uploadWorstFits returns, for each limit, about the most expensive module
// the default limits admit.
func uploadWorstFits() []uploadCase {
	l := fuel.DefaultLimits()
	repeat := func(unit []byte, size uint32) func(int) []byte {
		b := bytes.Repeat(unit, int(size-64)/len(unit))
		return func(int) []byte { return b }
	}
	nests := fueltest.Nested(int(l.Nesting))
	calls := []byte{0x10, 0}         // call 0
	brIf := []byte{0x41, 0, 0x0d, 0} // br_if 0 (i32.const 0)
	reloadGlobals := 100
	callsPerFunc := 1000
	return []uploadCase{
		{"fits/empty", fueltest.Module{Funcs: 1}},
		{"fits/functions", fueltest.Module{Funcs: int(l.Functions), Globals: 16, Body: func(i int) []byte { return fueltest.TouchGlobal(i % 16) }}},
		{"fits/globals", fueltest.Module{Funcs: int(l.GlobalReloads/(l.Globals+2)) - 1, Globals: int(l.Globals), Body: fueltest.TouchGlobal}},
		{"fits/global_reloads", fueltest.Module{Funcs: int(l.GlobalReloads) / (reloadGlobals + 2) / (callsPerFunc + 3), Globals: reloadGlobals, Body: repeat(calls, uint32(2*callsPerFunc+64))}},
		{"fits/nesting", fueltest.Module{Funcs: 1, Body: func(int) []byte { return nests }}},
		{"fits/branches", fueltest.Module{Funcs: 1, Body: repeat(brIf, 4*l.Branches+64-16)}},
		{"fits/branches*16", fueltest.Module{Funcs: 16, Body: repeat(brIf, 4*l.Branches+64-16)}},
		{"fits/br_table", fueltest.Module{Funcs: 1, Body: func(int) []byte { return fueltest.BrTable(int(l.BrTableTargets) - 1) }}},
		{"fits/br_tables", fueltest.Module{Funcs: int(l.TotalBrTableTargets / l.BrTableTargets), Body: func(int) []byte { return fueltest.BrTable(int(l.BrTableTargets) - 1) }}},
		{"fits/body_of_calls", fueltest.Module{Funcs: 1, Body: repeat(calls, l.BodyBytes)}},
		{"fits/body_straight", fueltest.Module{Funcs: 1, Body: repeat([]byte{0x41, 0, 0x1a}, l.BodyBytes)}},
		{"fits/locals", fueltest.Module{Funcs: int(l.TotalLocals / l.Locals), Locals: l.Locals}},
		{"fits/types+exports", fueltest.Module{Funcs: 1, Types: int(l.Types) - 1, Exports: int(l.Exports) - 1}},
		{"fits/segments", fueltest.Module{Funcs: 1, Elems: int(l.ElementSegments), Datas: int(l.DataSegments)}},
		{"fits/tables", fueltest.Module{Funcs: 1, Tables: int(l.Tables), TableMin: l.TableElements / l.Tables}},
	}
}

// BenchmarkUploadLimits measures the whole upload path (host.New, Prepare:
// inspection, validation and instrumentation, then Compile) on generated
// modules: the attack shapes, refused by the default limits, and the
// worst module that fits each limit.
//
//	go test ./host -run '^$' -bench UploadLimits -benchtime 1x -benchmem
func BenchmarkUploadLimits(b *testing.B) {
	ctx := context.Background()
	for _, tc := range append(uploadAttacks, uploadWorstFits()...) {
		b.Run(tc.name, func(b *testing.B) {
			wasm := tc.mod.Encode()
			b.ReportMetric(float64(len(wasm)), "module-bytes")
			b.ResetTimer()
			for b.Loop() {
				err := upload(ctx, wasm)
				switch fits := strings.HasPrefix(tc.name, "fits/"); {
				case fits && err != nil:
					b.Fatal(err)
				case !fits && err == nil:
					b.Fatal("attack accepted")
				}
			}
		})
	}
}

// upload runs the host's upload path on wasm with a fresh runtime.
func upload(ctx context.Context, wasm []byte) error {
	rt, err := host.New(ctx, host.Config{})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	art, err := rt.Prepare(ctx, wasm)
	if err != nil {
		return err
	}
	m, err := rt.Compile(ctx, wasm, art)
	if err != nil {
		return err
	}
	return m.Close(ctx)
}
