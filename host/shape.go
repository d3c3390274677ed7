package host

import (
	"errors"
	"fmt"

	"github.com/nexustask/nexus/host/internal/wasmbin"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
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

// inspect walks the section headers of wasm and decodes the import and
// memory sections. It does not validate the module; wazero does that.
func inspect(wasm []byte) (*shape, error) {
	if len(wasm) < 8 {
		if len(wasm) >= 4 && string(wasm[:4]) == string(wasmbin.Magic) {
			return nil, errors.New("truncated module: header is shorter than 8 bytes")
		}
		return nil, errors.New("not a WebAssembly module: missing \\0asm magic")
	}
	if string(wasm[:4]) != string(wasmbin.Magic) {
		return nil, errors.New("not a WebAssembly module: missing \\0asm magic")
	}
	if v := wasm[4:8]; v[0] != 1 || v[1] != 0 || v[2] != 0 || v[3] != 0 {
		return nil, fmt.Errorf("unsupported WebAssembly binary version %x (want 1)", v)
	}
	s := &shape{}
	r := wasmbin.Reader{B: wasm, Off: 8}
	for r.Off < len(r.B) {
		id, err := r.Byte()
		if err != nil {
			return nil, err
		}
		size, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("truncated module: section %d: %w", id, err)
		}
		if uint64(r.Off)+uint64(size) > uint64(len(r.B)) {
			return nil, fmt.Errorf("truncated module: section %d at offset %d needs %d bytes, %d remain",
				id, r.Off, size, len(r.B)-r.Off)
		}
		body := wasmbin.Reader{B: r.B[:r.Off+int(size)], Off: r.Off}
		r.Off += int(size)
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

func (s *shape) readImports(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		mod, err := r.Name()
		if err != nil {
			return err
		}
		name, err := r.Name()
		if err != nil {
			return err
		}
		kind, err := r.Byte()
		if err != nil {
			return err
		}
		imp := Import{Module: mod, Name: name}
		switch kind {
		case 0x00:
			imp.Kind = "func"
			_, err = r.U32()
		case 0x01:
			imp.Kind = "table"
			if _, err = r.Byte(); err == nil {
				var min uint32
				min, _, err = r.Limits()
				s.tableMin, s.hasTables = s.tableMin+uint64(min), true
			}
		case 0x02:
			imp.Kind = "memory"
			var min uint32
			min, _, err = r.Limits()
			s.memMinPages, s.hasMemory = min, true
		case 0x03:
			imp.Kind = "global"
			_, err = r.Bytes(2)
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

func (s *shape) readExports(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.Name()
		if err != nil {
			return err
		}
		if _, err := r.Byte(); err != nil {
			return err
		}
		if _, err := r.U32(); err != nil {
			return err
		}
		s.exports = append(s.exports, name)
	}
	return nil
}

// readTables adds the minimum sizes of the tables the module defines to
// tableMin.
func (s *shape) readTables(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.Byte(); err != nil { // element type
			return err
		}
		min, _, err := r.Limits()
		if err != nil {
			return err
		}
		s.tableMin, s.hasTables = s.tableMin+uint64(min), true
	}
	return nil
}

func (s *shape) readMemories(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil || n == 0 {
		return err
	}
	min, _, err := r.Limits()
	if err != nil {
		return err
	}
	s.memMinPages, s.hasMemory = min, true
	return nil
}

// readsSources reports whether imports include a WASI function that reads
// the clocks or the random source a ModuleConfig sets; a module without
// one runs the same whatever they are.
func readsSources(imports []Import) bool {
	for _, imp := range imports {
		if imp.Module != wasi_snapshot_preview1.ModuleName {
			continue
		}
		switch imp.Name {
		case "clock_time_get", "clock_res_get", "random_get", "poll_oneoff":
			return true
		}
	}
	return false
}
