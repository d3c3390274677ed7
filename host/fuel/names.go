package fuel

import "unicode/utf8"

// Subsections of the name section.
const (
	nameModule    = 0
	nameFunctions = 1
	nameLocals    = 2
)

// nameSection returns the name section payload with function indices
// remapped, or ok false if it is malformed or a function or local name is
// not UTF-8 (it is then dropped: names are
// for debugging and never affect execution). Only the module, function and
// local names are kept; the extended subsections are dropped (label names
// would be stale anyway: the rewriting adds a block to every function).
func (ins *instrumenter) nameSection(s section) (out []byte, ok bool) {
	r := &reader{b: ins.in[:s.end], pos: s.start}
	out = make([]byte, 0, s.end-s.start+8)
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return nil, false
		}
		size, err := r.u32()
		if err != nil {
			return nil, false
		}
		body, err := r.bytes(size)
		if err != nil {
			return nil, false
		}
		sub := &reader{b: ins.in[:r.pos], pos: r.pos - len(body)}
		switch id {
		case nameFunctions, nameLocals:
			payload, ok := ins.remapNameMap(sub, id == nameLocals)
			if !ok {
				return nil, false
			}
			out = append(out, id)
			out = appendU32(out, uint32(len(payload)))
			out = append(out, payload...)
		case nameModule:
			if !validName(sub) || !sub.eof() {
				return nil, false
			}
			out = append(out, id)
			out = appendU32(out, size)
			out = append(out, body...)
		}
	}
	return out, true
}

// remapNameMap rewrites a name map (or, if indirect, a map of name maps)
// keyed by function index.
func (ins *instrumenter) remapNameMap(r *reader, indirect bool) ([]byte, bool) {
	n, err := r.u32()
	if err != nil {
		return nil, false
	}
	out := appendU32(make([]byte, 0, len(r.b)-r.pos+8), n)
	for i := uint32(0); i < n; i++ {
		f, err := ins.funcIndex(r)
		if err != nil {
			return nil, false
		}
		out = appendU32(out, f)
		start := r.pos
		if indirect {
			if !skipNameMap(r) {
				return nil, false
			}
		} else if !validName(r) {
			return nil, false
		}
		out = append(out, r.b[start:r.pos]...)
	}
	return out, r.eof()
}

func skipNameMap(r *reader) bool {
	n, err := r.u32()
	if err != nil {
		return false
	}
	for i := uint32(0); i < n; i++ {
		if _, err := r.u32(); err != nil {
			return false
		}
		if !validName(r) {
			return false
		}
	}
	return true
}

// validName reads a name and reports whether it is well-formed UTF-8.
func validName(r *reader) bool {
	n, err := r.name()
	return err == nil && utf8.Valid(n)
}
