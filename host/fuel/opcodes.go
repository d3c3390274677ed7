package fuel

// Opcodes the instrumenter reads or writes. Names follow the WebAssembly
// text format.
const (
	opUnreachable  = 0x00
	opNop          = 0x01
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0b
	opBr           = 0x0c
	opBrIf         = 0x0d
	opBrTable      = 0x0e
	opReturn       = 0x0f
	opCall         = 0x10
	opCallIndirect = 0x11
	opDrop         = 0x1a
	opSelect       = 0x1b
	opSelectT      = 0x1c
	opLocalGet     = 0x20
	opLocalSet     = 0x21
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opTableGet     = 0x25
	opTableSet     = 0x26
	opMemorySize   = 0x3f
	opMemoryGrow   = 0x40
	opI32Const     = 0x41
	opI64Const     = 0x42
	opF32Const     = 0x43
	opF64Const     = 0x44
	opI32GtU       = 0x4b
	opI64LtS       = 0x53
	opI32Add       = 0x6a
	opI32Sub       = 0x6b
	opI32Mul       = 0x6c
	opI64Add       = 0x7c
	opI64Sub       = 0x7d
	opI64Mul       = 0x7e
	opI64ShrU      = 0x88
	opI64ExtendI32 = 0xad // i64.extend_i32_u
	opRefNull      = 0xd0
	opRefIsNull    = 0xd1
	opRefFunc      = 0xd2
	opPrefixFC     = 0xfc
	opPrefixFD     = 0xfd

	blockEmpty = 0x40
)

// Sub-opcodes of the 0xfc prefix that take immediates or cost by size.
const (
	fcMemoryInit = 8
	fcDataDrop   = 9
	fcMemoryCopy = 10
	fcMemoryFill = 11
	fcTableInit  = 12
	fcElemDrop   = 13
	fcTableCopy  = 14
	fcTableGrow  = 15
	fcTableSize  = 16
	fcTableFill  = 17
)

// Value types of WebAssembly 2.0.
const (
	valI32       = 0x7f
	valI64       = 0x7e
	valF32       = 0x7d
	valF64       = 0x7c
	valV128      = 0x7b
	valFuncref   = 0x70
	valExternref = 0x6f
)

// valueType reports whether c is a WebAssembly 2.0 value type.
func valueType(c byte) bool {
	switch c {
	case valI32, valI64, valF32, valF64, valV128, valFuncref, valExternref:
		return true
	}
	return false
}

func refType(c byte) bool { return c == valFuncref || c == valExternref }

// checkValueType returns an error unless c is a WebAssembly 2.0 value type.
func checkValueType(r *reader, c byte) error {
	if valueType(c) {
		return nil
	}
	switch c {
	case 0x64, 0x63, 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73, 0x69, 0x74:
		return unsupported("typed function references and GC", r.pos-1, "value type 0x%02x", c)
	}
	return r.errorf("invalid value type 0x%02x", c)
}

// refusedOpcode returns the error for a single-byte opcode that belongs to a
// refused proposal, or nil.
func refusedOpcode(op byte, offset int) error {
	switch op {
	case 0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f:
		return unsupported("exception handling", offset, "instruction 0x%02x", op)
	case 0x12, 0x13:
		return unsupported("tail calls", offset, "return_call instruction 0x%02x", op)
	case 0x14, 0x15, 0xd3, 0xd4, 0xd5, 0xd6:
		return unsupported("typed function references and GC", offset, "instruction 0x%02x", op)
	case 0xfb:
		return unsupported("GC", offset, "GC instruction 0xfb")
	case 0xfe:
		return unsupported("threads", offset, "atomic instruction 0xfe")
	}
	return nil
}

// memarg reads a memory immediate, refusing the multi-memory form.
func memarg(r *reader) error {
	at := r.pos
	align, err := r.u32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 {
		return unsupported("multi-memory", at, "memory index in memarg")
	}
	_, err = r.u32()
	return err
}

// memIndex reads the memory index byte of memory.size, memory.grow and the
// bulk memory instructions, which must be a single 0x00 byte.
func memIndex(r *reader) error {
	at := r.pos
	m, err := r.byte()
	switch {
	case err != nil:
		return err
	case m == 0:
		return nil
	case m&0x80 != 0:
		return &DecodeError{Offset: at, Msg: "zero byte expected"}
	}
	return unsupported("multi-memory", at, "memory index %d", m)
}

// simdImmediates skips the immediates of the 0xfd sub-opcode sub.
func simdImmediates(r *reader, sub uint32, at int) error {
	switch {
	case sub <= 0x0b, sub == 0x5c, sub == 0x5d: // loads, stores, load*_zero
		return memarg(r)
	case sub == 0x0c, sub == 0x0d: // v128.const, i8x16.shuffle
		_, err := r.bytes(16)
		return err
	case sub >= 0x15 && sub <= 0x22: // extract_lane, replace_lane
		_, err := r.byte()
		return err
	case sub >= 0x54 && sub <= 0x5b: // load*_lane, store*_lane
		if err := memarg(r); err != nil {
			return err
		}
		_, err := r.byte()
		return err
	case sub > 0xff:
		return unsupported("relaxed SIMD", at, "SIMD instruction 0xfd %d", sub)
	}
	return nil
}
