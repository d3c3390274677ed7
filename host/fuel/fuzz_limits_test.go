package fuel_test

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/host/fuel/fueltest"
)

// limitShape returns the seed of FuzzStructuralLimits for a shape and its
// three parameters (see structuralModule).
func limitShape(kind byte, a, b, c uint32) []byte {
	in := []byte{kind}
	for _, v := range []uint32{a, b, c} {
		in = binary.LittleEndian.AppendUint32(in, v)
	}
	return in
}

// structuralModule turns fuzz input into a valid, structurally extreme
// module: in[0] picks the shape, three little-endian uint32 its size.
// Sizes are clamped so the module stays under about 4 MiB.
func structuralModule(in []byte) fueltest.Module {
	var p [4]uint32
	var kind byte
	if len(in) > 0 {
		kind = in[0] % 8
	}
	for i := range 3 {
		if len(in) >= 5+4*i {
			p[i] = binary.LittleEndian.Uint32(in[1+4*i:])
		}
	}
	a, b, c := int(p[0]%(1<<23)), int(p[1]%(1<<23)), int(p[2]%(1<<16))+1
	clamp := func(per, n int) int { return min(n, 4<<20/max(per, 1)) }
	switch kind {
	case 0: // functions and globals
		a = clamp(12, a) + 1
		b = clamp(5, b)
		return fueltest.Module{Funcs: a, Globals: b, Body: func(i int) []byte {
			if b == 0 {
				return nil
			}
			return fueltest.TouchGlobal(i % b)
		}}
	case 1: // nesting
		a = clamp(3*c, a)
		return fueltest.Module{Funcs: c, Body: func(int) []byte { return fueltest.Nested(a) }}
	case 2: // br_table
		a = clamp(c, a)
		return fueltest.Module{Funcs: c, Body: func(int) []byte { return fueltest.BrTable(a) }}
	case 3: // locals
		return fueltest.Module{Funcs: clamp(8, c), Locals: uint32(a)}
	case 4: // body size
		a = clamp(c, a)
		return fueltest.Module{Funcs: c, Body: func(int) []byte { return fueltest.Straight(a) }}
	case 5: // types and exports
		return fueltest.Module{Funcs: 1, Types: clamp(4, a), Exports: clamp(12, b)}
	case 6: // tables
		return fueltest.Module{Funcs: 1, Tables: clamp(8, a), TableMin: p[1]}
	default: // segments
		return fueltest.Module{Funcs: 1, Datas: clamp(3, a), Elems: clamp(4, b)}
	}
}

// FuzzStructuralLimits generates structurally extreme but valid modules and
// checks that Instrument either refuses one with a *LimitError or accepts
// it, allocating in proportion to its size either way, and that what it
// accepts wazero validates, before and after instrumentation. The seeds are
// the shapes of an attacker review.
func FuzzStructuralLimits(f *testing.F) {
	f.Add(limitShape(0, 20_000, 20_000, 0))
	f.Add(limitShape(0, 400_000, 100_000, 0))
	f.Add(limitShape(1, 100_000, 0, 0))
	f.Add(limitShape(1, 1_000_000, 0, 0))
	f.Add(limitShape(2, 3_000_000, 0, 0))
	f.Add(limitShape(1, 2_000, 0, 99))
	f.Add(limitShape(2, 4_000, 0, 20))
	f.Add(limitShape(3, 50_000, 0, 25))
	f.Add(limitShape(4, 200_000, 0, 80))
	f.Add(limitShape(5, 20_000, 20_000, 0))
	f.Add(limitShape(6, 200, 0x7fffffff, 0))
	f.Add(limitShape(7, 300_000, 100_000, 0))
	f.Fuzz(func(t *testing.T, in []byte) {
		wasm := structuralModule(in).Encode()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out, err := fuel.Instrument(wasm, fuel.DefaultConfig())
		runtime.ReadMemStats(&after)
		// The rewriting turns an empty 4-byte function into about 40
		// bytes, which the output buffers hold a few times over.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 80*uint64(len(wasm))+1<<20 {
			t.Errorf("Instrument allocated %d bytes for a %d-byte module (%v)", alloc, len(wasm), err)
		}
		if err != nil {
			if le := (*fuel.LimitError)(nil); !errors.As(err, &le) {
				t.Fatalf("valid module refused with %v", err)
			}
			return
		}
		if err := validate(wasm); err != nil {
			t.Fatalf("accepted, but wazero refuses the input: %v", err)
		}
		if err := validate(out); err != nil {
			t.Fatalf("accepted, but wazero refuses the output: %v", err)
		}
	})
}
