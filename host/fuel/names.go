package fuel

// Subsections of the name section.
const (
	nameModule    = 0
	nameFunctions = 1
	nameLocals    = 2
	nameLabels    = 3
)

// nameSection returns the name section payload with function indices
// remapped, or ok false if it is malformed (it is then dropped: names are
// for debugging and never affect execution). Label names are dropped: the
// rewriting adds a block to every function, which shifts label positions.
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
		case nameLabels:
		default:
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
		} else if _, err := r.name(); err != nil {
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
		if _, err := r.name(); err != nil {
			return false
		}
	}
	return true
}
