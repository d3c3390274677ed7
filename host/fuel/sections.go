package fuel

import "strings"

// vecTail reads the count of a vector section and returns the raw entries.
func vecTail(r *reader) (uint32, []byte, error) {
	if r == nil {
		return 0, nil, nil
	}
	n, err := r.u32()
	if err != nil {
		return 0, nil, err
	}
	return n, r.b[r.pos:], nil
}

// typeSection appends the added types to the original ones.
func (ins *instrumenter) typeSection() ([]byte, error) {
	n, raw, err := vecTail(ins.reader(secType))
	if err != nil {
		return nil, err
	}
	out := appendU32(make([]byte, 0, len(raw)+len(ins.newTypes)+8), n+ins.numNewTypes)
	out = append(out, raw...)
	return append(out, ins.newTypes...), nil
}

// importSection appends the slice and depth_exceeded imports, and
// table_room for modules that grow tables, so they take the function
// indices right after the module's own imports.
func (ins *instrumenter) importSection() ([]byte, error) {
	n, raw, err := vecTail(ins.reader(secImport))
	if err != nil {
		return nil, err
	}
	out := appendU32(make([]byte, 0, len(raw)+96), n+ins.addedImports)
	out = append(out, raw...)
	out = appendName(out, ImportModule)
	out = appendName(out, ImportSlice)
	out = append(out, 0)
	out = appendU32(out, ins.sliceType)
	out = appendName(out, ImportModule)
	out = appendName(out, ImportDepth)
	out = append(out, 0)
	out = appendU32(out, ins.depthFuncType)
	if ins.tableRoom {
		out = appendName(out, ImportModule)
		out = appendName(out, ImportTableRoom)
		out = append(out, 0)
		out = appendU32(out, ins.tableRoomType)
	}
	return out, nil
}

// functionSection appends the helpers' types.
func (ins *instrumenter) functionSection() ([]byte, error) {
	n, raw, err := vecTail(ins.reader(secFunction))
	if err != nil {
		return nil, err
	}
	out := appendU32(make([]byte, 0, len(raw)+len(ins.helpers)*2+8), n+uint32(len(ins.helpers)))
	out = append(out, raw...)
	for _, k := range ins.helpers {
		out = appendU32(out, ins.helperType(k))
	}
	return out, nil
}

// globalSection rewrites initializers and appends the fuel global (i64,
// starts at 0) and the call-depth global (i32, starts at 0).
func (ins *instrumenter) globalSection() ([]byte, error) {
	r := ins.reader(secGlobal)
	var n uint32
	var out []byte
	if r != nil {
		var err error
		if n, err = r.u32(); err != nil {
			return nil, err
		}
		out = make([]byte, 0, len(r.b)-r.pos+16)
	}
	out = appendU32(out, n+2)
	for i := uint32(0); i < n; i++ {
		start := r.pos
		if err := globalType(r); err != nil {
			return nil, err
		}
		out = append(out, r.b[start:r.pos]...)
		var err error
		if out, err = ins.constExpr(r, out); err != nil {
			return nil, err
		}
	}
	if r != nil && !r.eof() {
		return nil, r.errorf("section size mismatch")
	}
	out = append(out, valI64, 1, opI64Const, 0, opEnd)
	return append(out, valI32, 1, opI32Const, 0, opEnd), nil
}

// exportSection remaps function exports, refuses reserved names and exports
// the fuel and call-depth globals.
func (ins *instrumenter) exportSection() ([]byte, error) {
	r := ins.reader(secExport)
	var n uint32
	var out []byte
	if r != nil {
		var err error
		if n, err = r.u32(); err != nil {
			return nil, err
		}
		out = make([]byte, 0, len(r.b)-r.pos+32)
	}
	out = appendU32(out, n+2)
	for i := uint32(0); i < n; i++ {
		at := r.pos
		name, err := r.name()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(string(name), ReservedPrefix) {
			return nil, &reservedNameError{what: "export", name: string(name), offset: at}
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		out = append(out, r.b[at:r.pos]...)
		idxAt := r.pos
		switch kind {
		case 0:
			f, err := ins.funcIndex(r)
			if err != nil {
				return nil, err
			}
			out = appendU32(out, f)
			continue
		case 1, 2:
			_, err = r.u32()
		case 3:
			err = ins.globalIndex(r)
		case 4:
			return nil, unsupported("exception handling", at, "tag export")
		default:
			return nil, r.errorf("invalid export kind 0x%02x", kind)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r.b[idxAt:r.pos]...)
	}
	if r != nil && !r.eof() {
		return nil, r.errorf("section size mismatch")
	}
	out = appendName(out, ExportFuelGlobal)
	out = append(out, 3)
	out = appendU32(out, ins.fuelGlobal)
	out = appendName(out, ExportDepthGlobal)
	out = append(out, 3)
	return appendU32(out, ins.depthGlobal), nil
}

// startSection remaps the start function.
func (ins *instrumenter) startSection() ([]byte, error) {
	r := ins.reader(secStart)
	f, err := ins.funcIndex(r)
	if err != nil {
		return nil, err
	}
	if !r.eof() {
		return nil, r.errorf("section size mismatch")
	}
	return appendU32(nil, f), nil
}

// elementSection remaps function indices in all eight segment forms.
func (ins *instrumenter) elementSection() ([]byte, error) {
	r := ins.reader(secElement)
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := appendU32(make([]byte, 0, len(r.b)-r.pos+16), n)
	for i := uint32(0); i < n; i++ {
		start := r.pos
		flags, err := r.u32()
		if err != nil {
			return nil, err
		}
		if flags > 7 {
			return nil, &DecodeError{Offset: start, Msg: "invalid element segment flags"}
		}
		exprs := flags&4 != 0
		if flags&1 == 0 { // active
			if flags&2 != 0 {
				if _, err := r.u32(); err != nil {
					return nil, err
				}
			}
			out = append(out, r.b[start:r.pos]...)
			if out, err = ins.constExpr(r, out); err != nil {
				return nil, err
			}
			start = r.pos
		}
		if flags&3 != 0 { // element kind or reference type
			k, err := r.byte()
			if err != nil {
				return nil, err
			}
			if exprs && !refType(k) || !exprs && k != 0 {
				return nil, r.errorf("invalid element kind 0x%02x", k)
			}
		}
		count, err := r.u32()
		if err != nil {
			return nil, err
		}
		out = append(out, r.b[start:r.pos]...)
		for j := uint32(0); j < count; j++ {
			if exprs {
				out, err = ins.constExpr(r, out)
			} else {
				var f uint32
				f, err = ins.funcIndex(r)
				out = appendU32(out, f)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if !r.eof() {
		return nil, r.errorf("section size mismatch")
	}
	return out, nil
}

// dataSection checks the memory index and offset of each segment.
func (ins *instrumenter) dataSection() ([]byte, error) {
	r := ins.reader(secData)
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := appendU32(make([]byte, 0, len(r.b)-r.pos+8), n)
	for i := uint32(0); i < n; i++ {
		start := r.pos
		flags, err := r.u32()
		if err != nil {
			return nil, err
		}
		switch flags {
		case 0, 2:
			if flags == 2 {
				at := r.pos
				m, err := r.u32()
				if err != nil {
					return nil, err
				}
				if m != 0 {
					return nil, unsupported("multi-memory", at, "data segment for memory %d", m)
				}
			}
			out = append(out, r.b[start:r.pos]...)
			if out, err = ins.constExpr(r, out); err != nil {
				return nil, err
			}
			start = r.pos
		case 1:
		default:
			return nil, &DecodeError{Offset: start, Msg: "invalid data segment flags"}
		}
		if _, err := r.name(); err != nil {
			return nil, err
		}
		out = append(out, r.b[start:r.pos]...)
	}
	if !r.eof() {
		return nil, r.errorf("section size mismatch")
	}
	return out, nil
}

// constExpr copies a constant expression, remapping ref.func and checking
// global.get. Only constant instructions (extended-const included) are
// accepted.
func (ins *instrumenter) constExpr(r *reader, out []byte) ([]byte, error) {
	copyFrom := r.pos
	for {
		start := r.pos
		op, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch op {
		case opEnd:
			return append(out, r.b[copyFrom:r.pos]...), nil
		case opI32Const:
			_, err = r.sleb(32)
		case opI64Const:
			_, err = r.sleb(64)
		case opF32Const:
			_, err = r.bytes(4)
		case opF64Const:
			_, err = r.bytes(8)
		case opGlobalGet:
			err = ins.globalIndex(r)
		case opRefNull:
			err = refNull(r)
		case opRefFunc:
			var f uint32
			if f, err = ins.funcIndex(r); err != nil {
				return nil, err
			}
			out = append(out, r.b[copyFrom:start]...)
			out = append(out, opRefFunc)
			out = appendU32(out, f)
			copyFrom = r.pos
		case opI32Add, opI32Sub, opI32Mul, opI64Add, opI64Sub, opI64Mul:
		case opPrefixFD:
			var sub uint32
			if sub, err = r.u32(); err == nil {
				if sub != 0x0c {
					return nil, &DecodeError{Offset: start, Msg: "constant expression required"}
				}
				_, err = r.bytes(16)
			}
		default:
			if err := refusedOpcode(op, start); err != nil {
				return nil, err
			}
			return nil, &DecodeError{Offset: start, Msg: "constant expression required"}
		}
		if err != nil {
			return nil, err
		}
	}
}
