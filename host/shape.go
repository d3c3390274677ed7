package host

import (
	"errors"
	"fmt"
)

// Import is one import of a module.
type Import struct {
	Module string `json:"module"`
	Name   string `json:"name"`
	Kind   string `json:"kind"` // func, table, memory or global
}

// shape is what the host reads from a module's binary before compiling it:
// enough to give precise errors and to check limits before instantiation.
type shape struct {
	imports []Import
	exports []string
	// memMinPages is the minimum page count of the module's memory, defined
	// or imported; hasMemory reports whether it has one at all.
	memMinPages uint32
	hasMemory   bool
	// tableMin is the sum of the minimum sizes of the module's tables,
	// defined or imported: the elements instantiation allocates;
	// hasTables reports whether it has a table at all.
	tableMin  uint64
	hasTables bool
}

var wasmMagic = []byte{0x00, 0x61, 0x73, 0x6d}

// inspect walks the section headers of wasm and decodes the import and
// memory sections. It does not validate the module; wazero does that.
func inspect(wasm []byte) (*shape, error) {
	if len(wasm) < 8 {
		if len(wasm) >= 4 && string(wasm[:4]) == string(wasmMagic) {
			return nil, errors.New("truncated module: header is shorter than 8 bytes")
		}
		return nil, errors.New("not a WebAssembly module: missing \\0asm magic")
	}
	if string(wasm[:4]) != string(wasmMagic) {
		return nil, errors.New("not a WebAssembly module: missing \\0asm magic")
	}
	if v := wasm[4:8]; v[0] != 1 || v[1] != 0 || v[2] != 0 || v[3] != 0 {
		return nil, fmt.Errorf("unsupported WebAssembly binary version %x (want 1)", v)
	}
	s := &shape{}
	r := reader{b: wasm, off: 8}
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("truncated module: section %d: %w", id, err)
		}
		if uint64(r.off)+uint64(size) > uint64(len(r.b)) {
			return nil, fmt.Errorf("truncated module: section %d at offset %d needs %d bytes, %d remain",
				id, r.off, size, len(r.b)-r.off)
		}
		body := reader{b: r.b[:r.off+int(size)], off: r.off}
		r.off += int(size)
		switch id {
		case 2:
			err = s.readImports(&body)
		case 4:
			err = s.readTables(&body)
		case 5:
			err = s.readMemories(&body)
		case 7:
			err = s.readExports(&body)
		}
		if err != nil {
			return nil, fmt.Errorf("malformed section %d: %w", id, err)
		}
	}
	return s, nil
}

func (s *shape) readImports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		mod, err := r.name()
		if err != nil {
			return err
		}
		name, err := r.name()
		if err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		imp := Import{Module: mod, Name: name}
		switch kind {
		case 0x00:
			imp.Kind = "func"
			_, err = r.u32()
		case 0x01:
			imp.Kind = "table"
			if _, err = r.byte(); err == nil {
				var min uint32
				min, _, err = r.limits()
				s.tableMin, s.hasTables = s.tableMin+uint64(min), true
			}
		case 0x02:
			imp.Kind = "memory"
			var min uint32
			min, _, err = r.limits()
			s.memMinPages, s.hasMemory = min, true
		case 0x03:
			imp.Kind = "global"
			_, err = r.bytes(2)
		default:
			return fmt.Errorf("import %s.%s has unknown kind 0x%x", mod, name, kind)
		}
		if err != nil {
			return err
		}
		s.imports = append(s.imports, imp)
	}
	return nil
}

func (s *shape) readExports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.name()
		if err != nil {
			return err
		}
		if _, err := r.byte(); err != nil {
			return err
		}
		if _, err := r.u32(); err != nil {
			return err
		}
		s.exports = append(s.exports, name)
	}
	return nil
}

// readTables adds the minimum sizes of the tables the module defines to
// tableMin.
func (s *shape) readTables(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.byte(); err != nil { // element type
			return err
		}
		min, _, err := r.limits()
		if err != nil {
			return err
		}
		s.tableMin, s.hasTables = s.tableMin+uint64(min), true
	}
	return nil
}

func (s *shape) readMemories(r *reader) error {
	n, err := r.u32()
	if err != nil || n == 0 {
		return err
	}
	min, _, err := r.limits()
	if err != nil {
		return err
	}
	s.memMinPages, s.hasMemory = min, true
	return nil
}

// reader decodes the few LEB128 and vector forms inspect needs.
type reader struct {
	b   []byte
	off int
}

var errEOF = errors.New("unexpected end of data")

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errEOF
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) bytes(n uint32) ([]byte, error) {
	if uint64(r.off)+uint64(n) > uint64(len(r.b)) {
		return nil, errEOF
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("LEB128 value overflows 32 bits")
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

// limits reads a limits structure; flag bit 0 says a maximum follows.
func (r *reader) limits() (min, max uint32, err error) {
	flag, err := r.byte()
	if err != nil {
		return 0, 0, err
	}
	if min, err = r.u32(); err != nil {
		return 0, 0, err
	}
	if flag&1 != 0 {
		max, err = r.u32()
	}
	return min, max, err
}
