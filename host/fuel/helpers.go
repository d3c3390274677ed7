package fuel

// helperKind names an appended function that replaces one dynamic-cost
// instruction: it charges by size, runs the fuel check, then performs the
// instruction. Charging first means an operation the budget cannot pay for
// never starts.
type helperKind uint8

const (
	helperMemoryGrow helperKind = iota // (delta i32) -> i32
	helperMemoryFill                   // (dst, value, len i32)
	helperMemoryCopy                   // (dst, src, len i32)
	helperMemoryInit                   // (dst, src, len i32); a = data index
	helperTableGrow                    // (init ref, delta i32) -> i32; a = table
	helperTableFill                    // (dst i32, value ref, len i32); a = table
	helperTableCopy                    // (dst, src, len i32); a = dst table, b = src table
	helperTableInit                    // (dst, src, len i32); a = elem index, b = table
)

// helperKey identifies a helper: its kind and the immediates baked into it.
type helperKey struct {
	kind helperKind
	a, b uint32
}

// helper returns the function index of the helper for k, appending it if
// needed. Helpers come after every defined function.
func (ins *instrumenter) helper(k helperKey) uint32 {
	if f, ok := ins.helperIdx[k]; ok {
		return f
	}
	f := ins.importFuncs + ins.addedImports + uint32(len(ins.funcTypes)) + uint32(len(ins.helpers))
	ins.helpers = append(ins.helpers, k)
	ins.callSites += 4 // at most: the check, table_room or a chunk's slice call, the tests' calls
	ins.helperIdx[k] = f
	return f
}

// helperType returns the type index of the helper for k.
func (ins *instrumenter) helperType(k helperKey) uint32 {
	i32x3 := []byte{valI32, valI32, valI32}
	switch k.kind {
	case helperMemoryGrow:
		return ins.typeFor([]byte{valI32}, []byte{valI32})
	case helperTableGrow:
		return ins.typeFor([]byte{ins.tableTypes[k.a], valI32}, []byte{valI32})
	case helperTableFill:
		return ins.typeFor([]byte{valI32, ins.tableTypes[k.a], valI32}, nil)
	default:
		return ins.typeFor(i32x3, nil)
	}
}

// helperBody returns the encoded body (locals and code) of the helper for k.
func (ins *instrumenter) helperBody(k helperKey) []byte {
	b := []byte{0} // no locals
	switch k.kind {
	case helperMemoryGrow:
		b = ins.appendDynamicCharge(b, 0, 0, costGrowPerPage)
		b = append(b, opLocalGet, 0, opMemoryGrow, 0)
	case helperMemoryFill, helperMemoryCopy, helperMemoryInit:
		b = ins.appendDynamicCharge(b, 2, bulkChunkShift, costBulkPerChunk)
		b = ins.appendBulk(b, k)
	case helperTableGrow:
		b = ins.appendDynamicCharge(b, 1, 0, costTablePerElem)
		b = ins.appendTableGrow(b, k.a)
	case helperTableFill, helperTableCopy, helperTableInit:
		b = ins.appendDynamicCharge(b, 2, 0, costTablePerElem)
		b = ins.appendBulk(b, k)
	}
	return append(b, opEnd)
}

// appendDynamicCharge appends code charging per unit of the u32 in local l,
// a unit being 1<<shift of it rounded up, then the fuel check:
//
//	fuel -= ((u64(l) + (1<<shift - 1)) >> shift) * per
//
// The arithmetic is in i64: at most 2^32 units of at most 2^16 fuel each,
// so it cannot overflow.
func (ins *instrumenter) appendDynamicCharge(b []byte, l byte, shift uint, per int64) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, ins.fuelGlobal)
	b = append(b, opLocalGet, l, opI64ExtendI32)
	if shift > 0 {
		b = append(b, opI64Const)
		b = appendS64(b, 1<<shift-1)
		b = append(b, opI64Add, opI64Const)
		b = appendS64(b, int64(shift))
		b = append(b, opI64ShrU)
	}
	if per != 1 {
		b = append(b, opI64Const)
		b = appendS64(b, per)
		b = append(b, opI64Mul)
	}
	b = append(b, opI64Sub, opGlobalSet)
	b = appendU32(b, ins.fuelGlobal)
	return ins.appendGlobalCheck(b)
}
