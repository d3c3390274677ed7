package snapshot

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/nexustask/nexus/host/internal/wasmbin"
)

// Section ids the snapshot rewriter reads or replaces.
const (
	secImport    = 2
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secData      = 11
	secDataCount = 12
)

// GlobalPrefix names the exports the probe module adds so that the
// host can read every mutable global after initialisation.
const GlobalPrefix = "__nexus_snapshot_global_"

// wasmSection is one section of a module binary.
type wasmSection struct {
	id   byte
	body []byte
}

// splitWasm cuts a module into its sections. It checks only the framing:
// the module was validated and instrumented before.
func splitWasm(wasm []byte) ([]wasmSection, error) {
	if len(wasm) < 8 || string(wasm[:4]) != string(wasmbin.Magic) {
		return nil, errors.New("not a WebAssembly module")
	}
	r := wasmbin.Reader{B: wasm, Off: 8}
	var out []wasmSection
	for r.Off < len(r.B) {
		id, err := r.Byte()
		if err != nil {
			return nil, err
		}
		size, err := r.U32()
		if err != nil {
			return nil, err
		}
		body, err := r.Bytes(size)
		if err != nil {
			return nil, err
		}
		out = append(out, wasmSection{id, body})
	}
	return out, nil
}

// joinWasm encodes sections back into a module binary.
func joinWasm(secs []wasmSection) []byte {
	n := 8
	for _, s := range secs {
		n += 6 + len(s.body)
	}
	out := append(make([]byte, 0, n), wasmbin.Magic...)
	out = append(out, 1, 0, 0, 0)
	for _, s := range secs {
		out = append(out, s.id)
		out = wasmbin.AppendULEB(out, uint64(len(s.body)))
		out = append(out, s.body...)
	}
	return out
}

// globalDef is one global defined by a module.
type globalDef struct {
	valType byte
	mutable bool
	init    []byte // the constant expression, end included
}

// decodeGlobals decodes a global section.
func decodeGlobals(body []byte) ([]globalDef, error) {
	r := wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := make([]globalDef, 0, n)
	for i := uint32(0); i < n; i++ {
		t, err := r.Byte()
		if err != nil {
			return nil, err
		}
		mut, err := r.Byte()
		if err != nil {
			return nil, err
		}
		start := r.Off
		if err := skipConstExpr(&r); err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		out = append(out, globalDef{valType: t, mutable: mut == 1, init: body[start:r.Off]})
	}
	return out, nil
}

// skipConstExpr reads a constant expression up to and including its end.
func skipConstExpr(r *wasmbin.Reader) error {
	for {
		op, err := r.Byte()
		if err != nil {
			return err
		}
		switch op {
		case 0x0b: // end
			return nil
		case 0x41, 0x42, 0x23, 0xd2: // i32.const, i64.const, global.get, ref.func
			err = r.SkipLEB()
		case 0x43:
			_, err = r.Bytes(4)
		case 0x44:
			_, err = r.Bytes(8)
		case 0xd0: // ref.null t
			_, err = r.Byte()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended constant arithmetic
		default:
			return fmt.Errorf("constant expression opcode 0x%02x is not supported by snapshots", op)
		}
		if err != nil {
			return err
		}
	}
}

// importedGlobalsOrMemory reports whether the module imports anything but
// functions; snapshots support only modules that define their own globals
// and memory (which every accepted module does: the ABI imports functions
// only).
func importedNonFuncs(secs []wasmSection) (bool, error) {
	for _, s := range secs {
		if s.id != secImport {
			continue
		}
		r := wasmbin.Reader{B: s.body}
		n, err := r.U32()
		if err != nil {
			return false, err
		}
		for i := uint32(0); i < n; i++ {
			if _, err := r.Name(); err != nil {
				return false, err
			}
			if _, err := r.Name(); err != nil {
				return false, err
			}
			kind, err := r.Byte()
			if err != nil {
				return false, err
			}
			if kind != 0 {
				return true, nil
			}
			if _, err := r.U32(); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// Probe returns artifact with every mutable global also exported as
// GlobalPrefix+index, so that the host can read them after
// initialisation, and the indices of those globals.
func Probe(artifact []byte) ([]byte, []uint32, error) {
	secs, err := splitWasm(artifact)
	if err != nil {
		return nil, nil, err
	}
	if imp, err := importedNonFuncs(secs); err != nil || imp {
		return nil, nil, errors.Join(err, errors.New("the module imports a global, table or memory"))
	}
	var mutable []uint32
	exportAt := -1
	for i, s := range secs {
		switch s.id {
		case secGlobal:
			defs, err := decodeGlobals(s.body)
			if err != nil {
				return nil, nil, err
			}
			for j, g := range defs {
				if g.mutable {
					mutable = append(mutable, uint32(j))
				}
			}
		case secExport:
			exportAt = i
		}
	}
	if exportAt < 0 {
		return nil, nil, errors.New("the module exports nothing")
	}
	r := wasmbin.Reader{B: secs[exportAt].body}
	n, err := r.U32()
	if err != nil {
		return nil, nil, err
	}
	body := wasmbin.AppendULEB(nil, uint64(n)+uint64(len(mutable)))
	body = append(body, secs[exportAt].body[r.Off:]...)
	for _, g := range mutable {
		name := GlobalPrefix + strconv.Itoa(int(g))
		body = wasmbin.AppendULEB(body, uint64(len(name)))
		body = append(body, name...)
		body = append(body, 0x03)
		body = wasmbin.AppendULEB(body, uint64(g))
	}
	secs[exportAt].body = body
	return joinWasm(secs), mutable, nil
}

// StripData returns wasm without its data segments (and with a data count
// of 0) and without its start function: the restore module, whose memory
// and globals a snapshot fills instead, as the start function left them
// when the probe was instantiated. A passive segment is refused: code
// could still memory.init it.
func StripData(wasm []byte) ([]byte, error) {
	secs, err := splitWasm(wasm)
	if err != nil {
		return nil, err
	}
	out := secs[:0:0]
	for _, s := range secs {
		switch s.id {
		case secData:
			if err := checkActiveData(s.body); err != nil {
				return nil, err
			}
			continue
		case secDataCount:
			s.body = []byte{0}
		case secStart:
			continue
		}
		out = append(out, s)
	}
	return joinWasm(out), nil
}

// checkActiveData refuses a data section with passive segments: code could
// still memory.init them after the snapshot, and baking renumbers segments.
func checkActiveData(body []byte) error {
	r := wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		flags, err := r.U32()
		if err != nil {
			return err
		}
		switch flags {
		case 0:
		case 2:
			if err := r.SkipLEB(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("data segment %d is passive", i)
		}
		if err := skipConstExpr(&r); err != nil {
			return err
		}
		size, err := r.U32()
		if err != nil {
			return err
		}
		if _, err := r.Bytes(size); err != nil {
			return err
		}
	}
	return nil
}

// dataGap is the longest run of zero bytes kept inside one data segment;
// longer runs split segments. A segment costs a few bytes of header, so
// short gaps are cheaper to keep than to split at.
const dataGap = 64

// DataSegments returns the [start, end) ranges of memory's non-zero bytes,
// joined across gaps of at most dataGap zeros.
func DataSegments(memory []byte) [][2]int {
	var segs [][2]int
	i := 0
	for i < len(memory) {
		for i < len(memory) && memory[i] == 0 {
			i++
		}
		if i == len(memory) {
			break
		}
		start, end := i, i
		for i < len(memory) {
			if memory[i] != 0 {
				i++
				end = i
				continue
			}
			z := i
			for i < len(memory) && memory[i] == 0 && i-z <= dataGap {
				i++
			}
			if i == len(memory) || memory[i] == 0 {
				break
			}
		}
		segs = append(segs, [2]int{start, end})
	}
	return segs
}
