// Package fueltest generates structurally extreme but valid WebAssembly
// modules, for the tests, fuzz targets and benchmarks of the fuel
// instrumenter's limits and of the host's upload path. It is not used in
// production code.
package fueltest

import "bytes"

// Module describes a generated module. Every defined function has type
// () -> (), the module has one memory of one page, and function 0 is
// exported as _start, so the host accepts the module as a WASI command.
// The zero value plus Funcs >= 1 is a valid module.
type Module struct {
	// Types is the number of types beyond the one the functions use, each
	// (i32) -> ().
	Types int
	// Funcs is the number of defined functions, at least 1.
	Funcs int
	// Globals is the number of mutable i32 globals, each initialized to 0.
	Globals int
	// Tables is the number of funcref tables, each of minimum TableMin.
	Tables   int
	TableMin uint32
	// Exports is the number of exports of function 0 beyond _start.
	Exports int
	// Elems is the number of passive element segments of one ref.func each.
	Elems int
	// Datas is the number of passive data segments of one byte each.
	Datas int
	// Locals is the number of i32 locals of each function.
	Locals uint32
	// Body returns the instructions of function i without the final end;
	// nil means an empty body.
	Body func(i int) []byte
}

// Encode returns the binary module. It is safe to call concurrently.
func (g Module) Encode() []byte {
	var out bytes.Buffer
	out.Write([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})
	section := func(id byte, count int, payload []byte) {
		p := appendULEB(nil, uint64(count))
		p = append(p, payload...)
		out.WriteByte(id)
		out.Write(appendULEB(nil, uint64(len(p))))
		out.Write(p)
	}
	types := append([]byte{0x60, 0, 0}, bytes.Repeat([]byte{0x60, 1, 0x7f, 0}, g.Types)...)
	section(1, g.Types+1, types)
	funcs := bytes.Repeat([]byte{0}, g.Funcs)
	section(3, g.Funcs, funcs)
	if g.Tables > 0 {
		var t []byte
		for range g.Tables {
			t = append(t, 0x70, 0)
			t = appendULEB(t, uint64(g.TableMin))
		}
		section(4, g.Tables, t)
	}
	section(5, 1, []byte{0, 1})
	if g.Globals > 0 {
		section(6, g.Globals, bytes.Repeat([]byte{0x7f, 1, 0x41, 0, 0x0b}, g.Globals))
	}
	exp := []byte{6, '_', 's', 't', 'a', 'r', 't', 0, 0}
	for i := range g.Exports {
		name := []byte("e" + itoa(i))
		exp = appendULEB(exp, uint64(len(name)))
		exp = append(exp, name...)
		exp = append(exp, 0, 0)
	}
	section(7, g.Exports+1, exp)
	if g.Elems > 0 {
		section(9, g.Elems, bytes.Repeat([]byte{1, 0, 1, 0}, g.Elems))
	}
	if g.Datas > 0 {
		section(12, g.Datas, nil) // the data count section is a bare count
	}
	var code []byte
	for i := range g.Funcs {
		var b []byte
		if g.Locals > 0 {
			b = append(b, 1)
			b = appendULEB(b, uint64(g.Locals))
			b = append(b, 0x7f)
		} else {
			b = append(b, 0)
		}
		if g.Body != nil {
			b = append(b, g.Body(i)...)
		}
		b = append(b, 0x0b)
		code = appendULEB(code, uint64(len(b)))
		code = append(code, b...)
	}
	section(10, g.Funcs, code)
	if g.Datas > 0 {
		section(11, g.Datas, bytes.Repeat([]byte{1, 1, 0}, g.Datas))
	}
	return out.Bytes()
}

// Nested returns n nested blocks around nothing.
func Nested(n int) []byte {
	b := bytes.Repeat([]byte{0x02, 0x40}, n)
	return append(b, bytes.Repeat([]byte{0x0b}, n)...)
}

// BrTable returns a block holding a br_table of n targets besides the
// default, all to the block.
func BrTable(n int) []byte {
	b := []byte{0x02, 0x40, 0x41, 0}
	b = append(b, 0x0e)
	b = appendULEB(b, uint64(n))
	b = append(b, bytes.Repeat([]byte{0}, n+1)...)
	return append(b, 0x0b)
}

// Straight returns about n bytes of straight-line code: i32.const 0 and
// drop, repeated.
func Straight(n int) []byte {
	return bytes.Repeat([]byte{0x41, 0, 0x1a}, n/3)
}

// TouchGlobal returns code that increments global g.
func TouchGlobal(g int) []byte {
	b := appendULEB([]byte{0x23}, uint64(g))
	b = append(b, 0x41, 1, 0x6a, 0x24)
	return appendULEB(b, uint64(g))
}

func appendULEB(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
