package fuel

// The code sequences the rewriting splices into function bodies.

// appendCheck appends the fuel check on the cached fuel in local l:
//
//	if l < 0 { l = slice(l); fuel = l }
func (ins *instrumenter) appendCheck(b []byte, l uint32) []byte {
	b = append(b, opLocalGet)
	b = appendU32(b, l)
	return ins.appendRefill(b, l)
}

// appendRefill appends the test of the fuel value on the stack, also in
// local l, and the refill: if value < 0 { l = slice(l); fuel = l }.
func (ins *instrumenter) appendRefill(b []byte, l uint32) []byte {
	b = append(b, opI64Const, 0, opI64LtS, opIf, blockEmpty, opLocalGet)
	b = appendU32(b, l)
	b = append(b, opCall)
	b = appendU32(b, ins.sliceFunc)
	b = append(b, opLocalTee)
	b = appendU32(b, l)
	b = append(b, opGlobalSet)
	b = appendU32(b, ins.fuelGlobal)
	return append(b, opEnd)
}

// appendGlobalCheck appends the fuel check on the fuel global itself, for
// helpers: if fuel < 0 { fuel = slice(fuel) }.
func (ins *instrumenter) appendGlobalCheck(b []byte) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, ins.fuelGlobal)
	b = append(b, opI64Const, 0, opI64LtS, opIf, blockEmpty, opGlobalGet)
	b = appendU32(b, ins.fuelGlobal)
	b = append(b, opCall)
	b = appendU32(b, ins.sliceFunc)
	b = append(b, opGlobalSet)
	b = appendU32(b, ins.fuelGlobal)
	return append(b, opEnd)
}

// appendCharge appends l -= cost.
func (ins *instrumenter) appendCharge(b []byte, l uint32, cost int64) []byte {
	b = append(b, opLocalGet)
	b = appendU32(b, l)
	b = append(b, opI64Const)
	b = appendS64(b, cost)
	b = append(b, opI64Sub, opLocalSet)
	return appendU32(b, l)
}

// appendStore appends fuel = l - cost: it writes the cached fuel back to the
// global before a call or on exit.
func (ins *instrumenter) appendStore(b []byte, l uint32, cost int64) []byte {
	b = append(b, opLocalGet)
	b = appendU32(b, l)
	if cost > 0 {
		b = append(b, opI64Const)
		b = appendS64(b, cost)
		b = append(b, opI64Sub)
	}
	b = append(b, opGlobalSet)
	return appendU32(b, ins.fuelGlobal)
}

// appendLoad appends l = fuel: it reloads the cache after a call.
func (ins *instrumenter) appendLoad(b []byte, l uint32) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, ins.fuelGlobal)
	b = append(b, opLocalSet)
	return appendU32(b, l)
}

// appendLoadCheck appends the function-entry load and check:
//
//	l = fuel; if l < 0 { l = slice(l); fuel = l }
func (ins *instrumenter) appendLoadCheck(b []byte, l uint32) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, ins.fuelGlobal)
	b = append(b, opLocalTee)
	b = appendU32(b, l)
	return ins.appendRefill(b, l)
}

// appendDepthEnter appends, with d the function's depth local:
//
//	d = depth + 1; depth = d; if d > max { depth_exceeded(); unreachable }
func (ins *instrumenter) appendDepthEnter(b []byte, d uint32) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, ins.depthGlobal)
	b = append(b, opI32Const, 1, opI32Add, opLocalTee)
	b = appendU32(b, d)
	b = append(b, opGlobalSet)
	b = appendU32(b, ins.depthGlobal)
	b = append(b, opLocalGet)
	b = appendU32(b, d)
	b = append(b, opI32Const)
	b = appendS64(b, int64(ins.maxDepth))
	b = append(b, opI32GtU, opIf, blockEmpty, opCall)
	b = appendU32(b, ins.depthFunc)
	return append(b, opUnreachable, opEnd)
}

// appendDepthExit appends depth = d - 1. Every callee that returned has
// restored the global to d, so this is depth-- without reading it.
func (ins *instrumenter) appendDepthExit(b []byte, d uint32) []byte {
	b = append(b, opLocalGet)
	b = appendU32(b, d)
	b = append(b, opI32Const, 1, opI32Sub, opGlobalSet)
	return appendU32(b, ins.depthGlobal)
}
