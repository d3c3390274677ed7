package fueltest

import "encoding/binary"

// Seed returns fuzz input that FromFuzz turns into the shape kind (0–7)
// with sizes a, b and c.
func Seed(kind byte, a, b, c uint32) []byte {
	in := []byte{kind}
	for _, v := range []uint32{a, b, c} {
		in = binary.LittleEndian.AppendUint32(in, v)
	}
	return in
}

// FromFuzz turns fuzz input into a valid, structurally extreme module:
// in[0] picks the shape (functions and globals, nesting, br_table, locals,
// body size, types and exports, tables, segments), three little-endian
// uint32 its sizes. Sizes are clamped so the module stays under about
// 4 MiB.
func FromFuzz(in []byte) Module {
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
		return Module{Funcs: a, Globals: b, Body: func(i int) []byte {
			if b == 0 {
				return nil
			}
			return TouchGlobal(i % b)
		}}
	case 1: // nesting
		a = clamp(3*c, a)
		return Module{Funcs: c, Body: func(int) []byte { return Nested(a) }}
	case 2: // br_table
		a = clamp(c, a)
		return Module{Funcs: c, Body: func(int) []byte { return BrTable(a) }}
	case 3: // locals
		return Module{Funcs: clamp(8, c), Locals: uint32(a)}
	case 4: // body size
		a = clamp(c, a)
		return Module{Funcs: c, Body: func(int) []byte { return Straight(a) }}
	case 5: // types and exports
		return Module{Funcs: 1, Types: clamp(4, a), Exports: clamp(12, b)}
	case 6: // tables
		return Module{Funcs: 1, Tables: clamp(8, a), TableMin: p[1]}
	default: // segments
		return Module{Funcs: 1, Datas: clamp(3, a), Elems: clamp(4, b)}
	}
}
