package fuel

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// sectionRank orders the known sections as the binary format requires.
var sectionRank = [...]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5,
	secGlobal: 7, secExport: 8, secStart: 9, secElement: 10, secDataCount: 11,
	secCode: 12, secData: 13, secTag: 6,
}

var wasmHeader = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// section is one section of the input: its id and payload bounds.
type section struct {
	id         byte
	start, end int    // payload, absolute offsets
	name       string // custom sections only
}

// module is what the instrumenter needs to know about the input before it
// rewrites code: the sections and the sizes of the index spaces.
type module struct {
	in       []byte
	sections []section
	byID     [secTag + 1]int // index in sections + 1, 0 if absent

	typeResults [][]byte // result types of each type
	typeParams  []uint32 // number of parameters of each type
	importFuncs uint32
	importGlobs uint32
	funcTypes   []uint32 // type index of each defined function
	tableTypes  []byte   // element type of each table, imported first
	numGlobals  uint32   // imported and defined
	numMemories uint32
	tableElems  uint64 // sum of the tables' minimum sizes

	lim  Limits // with defaults applied
	seen Limits // the largest value met for each limit, for tests
}

func (m *module) numFuncs() uint32 { return m.importFuncs + uint32(len(m.funcTypes)) }

// reader returns a reader over the payload of the section with id, or nil.
func (m *module) reader(id byte) *reader {
	i := m.byID[id]
	if i == 0 {
		return nil
	}
	s := m.sections[i-1]
	return &reader{b: m.in[:s.end], pos: s.start}
}

// splitSections checks the header and the section order and records each
// section. Debug custom sections are recorded too; the encoder drops them.
func splitSections(in []byte, lim Limits) (*module, error) {
	if len(in) < 8 || !bytes.Equal(in[:4], wasmHeader[:4]) {
		return nil, &DecodeError{Offset: 0, Msg: "invalid magic number"}
	}
	if !bytes.Equal(in[4:8], wasmHeader[4:]) {
		return nil, &DecodeError{Offset: 4, Msg: "unsupported binary version"}
	}
	m := &module{in: in, lim: lim}
	r := &reader{b: in, pos: 8}
	lastRank := 0
	for !r.eof() {
		at := r.pos
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		if uint64(size) > uint64(len(in)-r.pos) {
			return nil, r.errorf("section size %d out of bounds", size)
		}
		s := section{id: id, start: r.pos, end: r.pos + int(size)}
		r.pos = s.end
		switch {
		case id == secCustom:
			nr := &reader{b: in[:s.end], pos: s.start}
			name, err := nr.name()
			if err != nil {
				return nil, err
			}
			if !utf8.Valid(name) {
				return nil, &DecodeError{Offset: s.start, Msg: "custom section name is not valid UTF-8"}
			}
			s.name = string(name)
			s.start = nr.pos
		case id == secTag:
			return nil, unsupported("exception handling", at, "tag section")
		case int(id) < len(sectionRank) && sectionRank[id] > 0:
			if sectionRank[id] <= lastRank {
				return nil, &DecodeError{Offset: at, Msg: "unexpected section or section out of order"}
			}
			lastRank = sectionRank[id]
			m.byID[id] = len(m.sections) + 1
		default:
			return nil, &DecodeError{Offset: at, Msg: "invalid section id"}
		}
		m.sections = append(m.sections, s)
	}
	return m, nil
}

// isDebugSection reports whether a custom section describes the original
// code layout (DWARF and friends); it goes stale when code is rewritten.
func isDebugSection(name string) bool {
	return strings.HasPrefix(name, ".debug_") || name == "sourceMappingURL" || name == "external_debug_info"
}

// decodeHeaders reads the sections that size the index spaces.
func (m *module) decodeHeaders() error {
	steps := []struct {
		id byte
		fn func(*reader) error
	}{
		{secType, m.decodeTypes},
		{secImport, m.decodeImports},
		{secFunction, m.decodeFunctions},
		{secTable, m.decodeTables},
		{secMemory, m.decodeMemories},
		{secGlobal, m.countGlobals},
	}
	for _, s := range steps {
		if r := m.reader(s.id); r != nil {
			if err := s.fn(r); err != nil {
				return err
			}
			if !r.eof() {
				return r.errorf("section size mismatch")
			}
		}
	}
	if m.numMemories > 1 {
		return unsupported("multi-memory", 0, "%d memories", m.numMemories)
	}
	hasCode := m.byID[secCode] != 0
	if len(m.funcTypes) > 0 && !hasCode {
		return &DecodeError{Offset: len(m.in), Msg: "function and code section have inconsistent lengths"}
	}
	return m.checkCounts()
}

func (m *module) decodeTypes(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if err := within("types", uint64(n), m.lim.Types, &m.seen.Types); err != nil {
		return err
	}
	m.typeResults = make([][]byte, 0, min(n, 1<<16))
	m.typeParams = make([]uint32, 0, min(n, 1<<16))
	for i := uint32(0); i < n; i++ {
		at := r.pos
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			if form == 0x5e || form == 0x5f || form == 0x4e || form == 0x50 || form == 0x4f {
				return unsupported("GC", at, "type form 0x%02x", form)
			}
			return r.errorf("invalid function type form 0x%02x", form)
		}
		params, err := valueTypes(r)
		if err != nil {
			return err
		}
		results, err := valueTypes(r)
		if err != nil {
			return err
		}
		m.typeResults = append(m.typeResults, results)
		m.typeParams = append(m.typeParams, uint32(len(params)))
	}
	return nil
}

// valueTypes reads a vector of value types and returns it without copying.
func valueTypes(r *reader) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	start := r.pos
	v, err := r.bytes(n)
	if err != nil {
		return nil, err
	}
	for i, c := range v {
		if !valueType(c) {
			r.pos = start + i + 1
			return nil, checkValueType(r, c)
		}
	}
	return v, nil
}

func (m *module) typeIndex(r *reader) (uint32, error) {
	at := r.pos
	t, err := r.u32()
	if err != nil {
		return 0, err
	}
	if t >= uint32(len(m.typeResults)) {
		return 0, &ReservedIndexError{Space: "type", Index: t, Count: uint32(len(m.typeResults)), Offset: at}
	}
	return t, nil
}

func (m *module) decodeImports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if err := within("imports", uint64(n), m.lim.Imports, &m.seen.Imports); err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		at := r.pos
		mod, err := r.name()
		if err != nil {
			return err
		}
		if string(mod) == ImportModule {
			return &reservedNameError{what: "import module", name: string(mod), offset: at}
		}
		if _, err := r.name(); err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case 0:
			if _, err := m.typeIndex(r); err != nil {
				return err
			}
			m.importFuncs++
			if err := within("functions", uint64(m.importFuncs), m.lim.Functions, &m.seen.Functions); err != nil {
				return err
			}
		case 1:
			if err := m.tableType(r); err != nil {
				return err
			}
		case 2:
			if err := memoryType(r); err != nil {
				return err
			}
			m.numMemories++
		case 3:
			if err := globalType(r); err != nil {
				return err
			}
			m.importGlobs++
			if err := within("globals", uint64(m.importGlobs), m.lim.Globals, &m.seen.Globals); err != nil {
				return err
			}
		case 4:
			return unsupported("exception handling", r.pos-1, "tag import")
		default:
			return r.errorf("invalid import kind 0x%02x", kind)
		}
	}
	m.numGlobals = m.importGlobs
	return nil
}

func (m *module) decodeFunctions(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if err := within("functions", uint64(m.importFuncs)+uint64(n), m.lim.Functions, &m.seen.Functions); err != nil {
		return err
	}
	if uint64(n) > uint64(len(r.b)-r.pos) {
		return r.errorf("function count %d out of bounds", n)
	}
	m.funcTypes = make([]uint32, n)
	for i := range m.funcTypes {
		if m.funcTypes[i], err = m.typeIndex(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *module) tableType(r *reader) error {
	et, err := r.byte()
	if err != nil {
		return err
	}
	if !refType(et) {
		return checkValueType(r, et)
	}
	m.tableTypes = append(m.tableTypes, et)
	if err := within("tables", uint64(len(m.tableTypes)), m.lim.Tables, &m.seen.Tables); err != nil {
		return err
	}
	at := r.pos
	flag, err := r.byte()
	if err != nil {
		return err
	}
	if flag > 1 {
		return &DecodeError{Offset: at, Msg: "invalid table limits flags"}
	}
	minimum, err := limits(r, flag)
	if err != nil {
		return err
	}
	m.tableElems += uint64(minimum)
	return within("table elements", m.tableElems, m.lim.TableElements, &m.seen.TableElements)
}

// limits reads limits with the given flags and returns the minimum.
func limits(r *reader, flag byte) (uint32, error) {
	minimum, err := r.u32()
	if err != nil {
		return 0, err
	}
	if flag&1 != 0 {
		_, err = r.u32()
	}
	return minimum, err
}

func memoryType(r *reader) error {
	at := r.pos
	flag, err := r.byte()
	if err != nil {
		return err
	}
	switch {
	case flag&0x04 != 0:
		return unsupported("memory64", at, "memory limits flags 0x%02x", flag)
	case flag&0x02 != 0:
		return unsupported("threads", at, "shared memory")
	case flag > 1:
		return &DecodeError{Offset: at, Msg: "invalid memory limits flags"}
	}
	_, err = limits(r, flag)
	return err
}

func globalType(r *reader) error {
	t, err := r.byte()
	if err != nil {
		return err
	}
	if err := checkValueType(r, t); err != nil {
		return err
	}
	mut, err := r.byte()
	if err != nil {
		return err
	}
	if mut > 1 {
		return r.errorf("invalid global mutability")
	}
	return nil
}

func (m *module) decodeTables(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if err := within("tables", uint64(len(m.tableTypes))+uint64(n), m.lim.Tables, &m.seen.Tables); err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := m.tableType(r); err != nil {
			return err
		}
	}
	return nil
}

func (m *module) decodeMemories(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := memoryType(r); err != nil {
			return err
		}
		m.numMemories++
	}
	return nil
}

// countGlobals reads only the count; initializers are checked when the
// section is rewritten.
func (m *module) countGlobals(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if err := within("globals", uint64(m.importGlobs)+uint64(n), m.lim.Globals, &m.seen.Globals); err != nil {
		return err
	}
	if uint64(n) > uint64(len(r.b)-r.pos) {
		return r.errorf("global count %d out of bounds", n)
	}
	m.numGlobals = m.importGlobs + n
	r.pos = len(r.b)
	return nil
}
