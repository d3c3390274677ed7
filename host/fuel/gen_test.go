package fuel_test

import "bytes"

// genModule describes a generated module: structurally extreme shapes for
// the limit tests, the fuzz target and the upload benchmarks. Every defined
// function has type () -> () and function 0 is exported as _start, so the
// host accepts the module as a WASI command.
type genModule struct {
	types    int    // extra distinct types beyond the one the functions use
	funcs    int    // defined functions, at least 1
	globals  int    // mutable i32 globals
	tables   int    // funcref tables
	tableMin uint32 // minimum size of each table
	exports  int    // extra exports (of function 0) beyond _start
	elems    int    // passive element segments of one ref.func each
	datas    int    // passive data segments of one byte each
	locals   uint32 // i32 locals of each function
	// body returns the instructions of function i, without its final end;
	// nil means an empty body.
	body func(i int) []byte
}

// encode returns the binary module.
func (g genModule) encode() []byte {
	var out bytes.Buffer
	out.Write([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})
	section := func(id byte, count int, payload []byte) {
		p := appendULEB(nil, uint64(count))
		p = append(p, payload...)
		out.WriteByte(id)
		out.Write(appendULEB(nil, uint64(len(p))))
		out.Write(p)
	}
	// Types: () -> () first, then () -> (i32 ... ) of growing arity.
	types := []byte{0x60, 0, 0}
	for i := 1; i <= g.types; i++ {
		types = append(types, 0x60, 0)
		types = appendULEB(types, uint64(i))
		types = append(types, bytes.Repeat([]byte{0x7f}, i)...)
	}
	section(1, g.types+1, types)
	funcs := bytes.Repeat([]byte{0}, g.funcs)
	section(3, g.funcs, funcs)
	if g.tables > 0 {
		var t []byte
		for range g.tables {
			t = append(t, 0x70, 0)
			t = appendULEB(t, uint64(g.tableMin))
		}
		section(4, g.tables, t)
	}
	section(5, 1, []byte{0, 1})
	if g.globals > 0 {
		section(6, g.globals, bytes.Repeat([]byte{0x7f, 1, 0x41, 0, 0x0b}, g.globals))
	}
	exp := []byte{6, '_', 's', 't', 'a', 'r', 't', 0, 0}
	for i := range g.exports {
		name := []byte("e" + itoa(i))
		exp = appendULEB(exp, uint64(len(name)))
		exp = append(exp, name...)
		exp = append(exp, 0, 0)
	}
	section(7, g.exports+1, exp)
	if g.elems > 0 {
		section(9, g.elems, bytes.Repeat([]byte{1, 0, 1, 0}, g.elems))
	}
	if g.datas > 0 {
		section(12, g.datas, nil) // the data count section is a bare count
	}
	var code []byte
	for i := range g.funcs {
		var b []byte
		if g.locals > 0 {
			b = append(b, 1)
			b = appendULEB(b, uint64(g.locals))
			b = append(b, 0x7f)
		} else {
			b = append(b, 0)
		}
		if g.body != nil {
			b = append(b, g.body(i)...)
		}
		b = append(b, 0x0b)
		code = appendULEB(code, uint64(len(b)))
		code = append(code, b...)
	}
	section(10, g.funcs, code)
	if g.datas > 0 {
		section(11, g.datas, bytes.Repeat([]byte{1, 1, 0}, g.datas))
	}
	return out.Bytes()
}

// nested returns n nested blocks around nothing.
func nested(n int) []byte {
	b := bytes.Repeat([]byte{0x02, 0x40}, n)
	return append(b, bytes.Repeat([]byte{0x0b}, n)...)
}

// brTable returns a block holding a br_table of n targets, all to it.
func brTable(n int) []byte {
	b := []byte{0x02, 0x40, 0x41, 0}
	b = append(b, 0x0e)
	b = appendULEB(b, uint64(n))
	b = append(b, bytes.Repeat([]byte{0}, n+1)...)
	return append(b, 0x0b)
}

// straight returns n bytes of straight-line code: i32.const 0, drop pairs.
func straight(n int) []byte {
	return bytes.Repeat([]byte{0x41, 0, 0x1a}, n/3)
}

// touchGlobal returns code that increments global g.
func touchGlobal(g int) []byte {
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
