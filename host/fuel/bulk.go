package fuel

// Bulk operations that run long are done in chunks, with a call to the
// slice import between two chunks, so that a memory.fill of gigabytes or a
// table.fill of millions of elements cannot outlive the task's deadline:
// the host checks the deadline and cancellation at every slice call.
const (
	// memoryChunk is the most bytes memory.fill, memory.copy and
	// memory.init write between two slice calls.
	memoryChunk = 1 << 20
	// tableChunk is the most elements table.fill, table.copy and
	// table.init write between two slice calls.
	tableChunk = 1 << 16
)

// More opcodes the helpers use.
const (
	opI32Eqz = 0x45
	opI32LeU = 0x4d
	opI64GtU = 0x56
)

// bulkOp returns the encoding of the bulk instruction the helper for k
// performs, the chunk size of its kind, and whether its second operand is
// an offset (false for the value of a fill).
func bulkOp(k helperKey) (op []byte, chunk int64, srcIsOffset bool) {
	switch k.kind {
	case helperMemoryFill:
		return []byte{opPrefixFC, fcMemoryFill, 0}, memoryChunk, false
	case helperMemoryCopy:
		return []byte{opPrefixFC, fcMemoryCopy, 0, 0}, memoryChunk, true
	case helperMemoryInit:
		return append(appendU32([]byte{opPrefixFC, fcMemoryInit}, k.a), 0), memoryChunk, true
	case helperTableFill:
		return appendU32([]byte{opPrefixFC, fcTableFill}, k.a), tableChunk, false
	case helperTableCopy:
		return appendU32(appendU32([]byte{opPrefixFC, fcTableCopy}, k.a), k.b), tableChunk, true
	default: // helperTableInit
		return appendU32(appendU32([]byte{opPrefixFC, fcTableInit}, k.a), k.b), tableChunk, true
	}
}

// appendBulk appends the body of a bulk helper after its charge: with dst,
// src (or value) and len in locals 0, 1 and 2,
//
//	block
//	  br_if 0 (len <= chunk)
//	  br_if 0 (dst + len or src + len overflows 32 bits)
//	  op(dst + len, src + len, 0)           ;; the bounds check: traps if out of bounds
//	  if dst > src                          ;; copy backwards, as memmove does
//	    loop
//	      len -= chunk; op(dst + len, src + len, chunk); fuel = slice(fuel)
//	      br_if 0 (len > chunk)
//	    end
//	  else
//	    loop
//	      op(dst, src, chunk); dst += chunk; src += chunk; len -= chunk
//	      fuel = slice(fuel)
//	      br_if 0 (len > chunk)
//	    end
//	  end
//	end
//	op(dst, src, len)
//
// An operation of at most one chunk, or one whose end overflows (which
// traps), takes the last line alone, as it did before chunking. Otherwise
// the zero-length operation at the end performs the specification's bounds
// check, so an operation out of bounds traps before it writes anything;
// bounds cannot shrink while it runs. Fills and copies between different
// tables go forwards (src is then a value or another table's offset, and
// the direction does not matter). The slice calls get a non-negative fuel
// value (the charge was checked), so they change no accounting; they are
// where the host enforces the deadline.
func (ins *instrumenter) appendBulk(b []byte, k helperKey) []byte {
	op, chunk, srcIsOffset := bulkOp(k)
	lenIsChunk := func(b []byte, cmp byte) []byte {
		b = append(b, opLocalGet, 2, opI32Const)
		b = appendS64(b, chunk)
		return append(b, cmp)
	}
	endOf := func(b []byte, l byte) []byte { // i64(l) + i64(len)
		return append(b, opLocalGet, l, opI64ExtendI32, opLocalGet, 2, opI64ExtendI32, opI64Add)
	}
	b = append(b, opBlock, blockEmpty)
	b = lenIsChunk(b, opI32LeU)
	b = append(b, opBrIf, 0)
	offsets := []byte{0}
	if srcIsOffset {
		offsets = append(offsets, 1)
	}
	for _, l := range offsets {
		b = endOf(b, l)
		b = append(b, opI64Const)
		b = appendS64(b, 0xffffffff)
		b = append(b, opI64GtU, opBrIf, 0)
	}
	// The probe: op(dst+len, src+len or value, 0).
	for l := byte(0); l < 2; l++ {
		if l == 1 && !srcIsOffset {
			b = append(b, opLocalGet, 1)
			continue
		}
		b = append(b, opLocalGet, l, opLocalGet, 2, opI32Add)
	}
	b = append(b, opI32Const, 0)
	b = append(b, op...)

	slice := func(b []byte) []byte {
		b = append(b, opGlobalGet)
		b = appendU32(b, ins.fuelGlobal)
		b = append(b, opCall)
		b = appendU32(b, ins.sliceFunc)
		b = append(b, opGlobalSet)
		return appendU32(b, ins.fuelGlobal)
	}
	step := func(b []byte, l byte, sub byte) []byte { // l = l +/- chunk
		b = append(b, opLocalGet, l, opI32Const)
		b = appendS64(b, chunk)
		return append(b, sub, opLocalSet, l)
	}
	forward := func(b []byte) []byte {
		b = append(b, opLoop, blockEmpty, opLocalGet, 0, opLocalGet, 1, opI32Const)
		b = appendS64(b, chunk)
		b = append(b, op...)
		for _, l := range offsets {
			b = step(b, l, opI32Add)
		}
		b = step(b, 2, opI32Sub)
		b = slice(b)
		b = lenIsChunk(b, opI32GtU)
		return append(b, opBrIf, 0, opEnd)
	}
	if srcIsOffset {
		b = append(b, opLocalGet, 0, opLocalGet, 1, opI32GtU, opIf, blockEmpty, opLoop, blockEmpty)
		b = step(b, 2, opI32Sub)
		b = append(b, opLocalGet, 0, opLocalGet, 2, opI32Add, opLocalGet, 1, opLocalGet, 2, opI32Add, opI32Const)
		b = appendS64(b, chunk)
		b = append(b, op...)
		b = slice(b)
		b = lenIsChunk(b, opI32GtU)
		b = append(b, opBrIf, 0, opEnd, opElse)
		b = forward(b)
		b = append(b, opEnd)
	} else {
		b = forward(b)
	}
	b = append(b, opEnd, opLocalGet, 0, opLocalGet, 1, opLocalGet, 2)
	return append(b, op...)
}

// appendTableGrow appends the body of the table.grow helper after its
// charge: with init and delta in locals 0 and 1,
//
//	if table_room(size(0) + ... + size(n-1) + u64(delta)) == 0 { return -1 }
//	return table.grow(init, delta)
func (ins *instrumenter) appendTableGrow(b []byte, table uint32) []byte {
	for t := range uint32(len(ins.tableTypes)) {
		b = append(b, opPrefixFC, fcTableSize)
		b = appendU32(b, t)
		b = append(b, opI64ExtendI32)
		if t > 0 {
			b = append(b, opI64Add)
		}
	}
	b = append(b, opLocalGet, 1, opI64ExtendI32, opI64Add, opCall)
	b = appendU32(b, ins.tableRoomFunc)
	b = append(b, opI32Eqz, opIf, valI32, opI32Const, 0x7f, opElse, opLocalGet, 0, opLocalGet, 1, opPrefixFC, fcTableGrow)
	b = appendU32(b, table)
	return append(b, opEnd)
}
