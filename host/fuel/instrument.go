package fuel

// instrumenter holds the state of one Instrument call.
type instrumenter struct {
	*module
	maxDepth int32

	sliceFunc, depthFunc     uint32 // appended function imports
	tableRoomFunc            uint32 // appended only with tableRoom
	tableRoom                bool   // the module has a table.grow
	addedImports             uint32 // 2, or 3 with tableRoom
	brTargets                uint64 // br_table targets so far
	callSites                uint64 // calls in the output so far, helpers estimated
	fuelGlobal, depthGlobal  uint32 // appended globals
	newTypes                 []byte // encoded types appended to the type section
	numNewTypes              uint32
	typeIdx                  map[string]uint32
	blockTypes               map[uint32][]byte // wrapper block type per function type
	helpers                  []helperKey
	helperIdx                map[helperKey]uint32
	sliceType, depthFuncType uint32
	tableRoomType            uint32
	// writesTables: the module contains an instruction that changes a
	// table or an element segment (see Effects).
	writesTables bool
}

func newInstrumenter(m *module, cfg Config, tableRoom bool) *instrumenter {
	ins := &instrumenter{
		module:     m,
		maxDepth:   int32(cfg.MaxCallDepth),
		typeIdx:    map[string]uint32{},
		blockTypes: map[uint32][]byte{},
		helperIdx:  map[helperKey]uint32{},
	}
	ins.sliceFunc = m.importFuncs
	ins.depthFunc = m.importFuncs + 1
	ins.addedImports = 2
	if tableRoom {
		ins.tableRoom = true
		ins.tableRoomFunc = m.importFuncs + 2
		ins.addedImports = 3
	}
	ins.sliceType = ins.typeFor([]byte{valI64}, []byte{valI64})
	ins.depthFuncType = ins.typeFor(nil, nil)
	if tableRoom {
		ins.tableRoomType = ins.typeFor([]byte{valI64}, []byte{valI32})
	}
	ins.fuelGlobal = m.numGlobals
	ins.depthGlobal = m.numGlobals + 1
	return ins
}

// typeFor returns the index of a function type, appending it if needed.
func (ins *instrumenter) typeFor(params, results []byte) uint32 {
	key := string(params) + "\xff" + string(results)
	if i, ok := ins.typeIdx[key]; ok {
		return i
	}
	i := uint32(len(ins.typeResults)) + ins.numNewTypes
	ins.numNewTypes++
	ins.typeIdx[key] = i
	ins.newTypes = append(ins.newTypes, 0x60)
	ins.newTypes = appendU32(ins.newTypes, uint32(len(params)))
	ins.newTypes = append(ins.newTypes, params...)
	ins.newTypes = appendU32(ins.newTypes, uint32(len(results)))
	ins.newTypes = append(ins.newTypes, results...)
	return i
}

// blockTypeFor returns the encoded block type of the wrapper block of a
// function of type t: no parameters and the function's results.
func (ins *instrumenter) blockTypeFor(t uint32) []byte {
	if bt, ok := ins.blockTypes[t]; ok {
		return bt
	}
	var bt []byte
	switch res := ins.typeResults[t]; len(res) {
	case 0:
		bt = []byte{blockEmpty}
	case 1:
		bt = []byte{res[0]}
	default:
		bt = appendS64(nil, int64(ins.typeFor(nil, res)))
	}
	ins.blockTypes[t] = bt
	return bt
}

// funcIndex reads a function index, checks it and returns it remapped past
// the appended imports.
func (ins *instrumenter) funcIndex(r *reader) (uint32, error) {
	at := r.pos
	f, err := r.u32()
	if err != nil {
		return 0, err
	}
	if n := ins.numFuncs(); f >= n {
		return 0, &ReservedIndexError{Space: "function", Index: f, Count: n, Offset: at}
	}
	if f < ins.importFuncs {
		return f, nil
	}
	return f + ins.addedImports, nil
}

// globalIndex reads a global index and checks it.
func (ins *instrumenter) globalIndex(r *reader) error {
	at := r.pos
	g, err := r.u32()
	if err != nil {
		return err
	}
	if g >= ins.numGlobals {
		return &ReservedIndexError{Space: "global", Index: g, Count: ins.numGlobals, Offset: at}
	}
	return nil
}

// tableIndex reads a table index, which must exist.
func (ins *instrumenter) tableIndex(r *reader) (uint32, error) {
	at := r.pos
	t, err := r.u32()
	if err != nil {
		return 0, err
	}
	if t >= uint32(len(ins.tableTypes)) {
		return 0, &DecodeError{Offset: at, Msg: "unknown table"}
	}
	return t, nil
}

// blockType reads a block type.
func (ins *instrumenter) blockType(r *reader) error {
	if r.eof() {
		return r.errorf("unexpected end")
	}
	c := r.b[r.pos]
	if c == blockEmpty || valueType(c) {
		r.pos++
		return nil
	}
	at := r.pos
	v, err := r.sleb(33)
	if err != nil {
		return err
	}
	if v < 0 {
		r.pos = at + 1
		return checkValueType(r, c)
	}
	if n := uint32(len(ins.typeResults)); v >= int64(n) {
		return &ReservedIndexError{Space: "type", Index: uint32(v), Count: n, Offset: at}
	}
	return nil
}

// rewriteCode returns the payload of the rewritten code section, helpers
// excluded (they are known only once every body has been rewritten).
func (ins *instrumenter) rewriteCode() (count uint32, bodies []byte, err error) {
	r := ins.reader(secCode)
	if r == nil {
		return 0, nil, nil
	}
	n, err := r.u32()
	if err != nil {
		return 0, nil, err
	}
	if n != uint32(len(ins.funcTypes)) {
		return 0, nil, r.errorf("function and code section have inconsistent lengths")
	}
	bodies = make([]byte, 0, len(r.b)-r.pos+(len(r.b)-r.pos)/3+64)
	w := &bodyWriter{ins: ins}
	var fn []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return 0, nil, err
		}
		if uint64(size) > uint64(len(r.b)-r.pos) {
			return 0, nil, r.errorf("function body size %d out of bounds", size)
		}
		end := r.pos + int(size)
		fn, err = w.function(&reader{b: r.b[:end], pos: r.pos}, ins.funcTypes[i], fn[:0])
		if err != nil {
			return 0, nil, err
		}
		r.pos = end
		bodies = appendU32(bodies, uint32(len(fn)))
		bodies = append(bodies, fn...)
	}
	if !r.eof() {
		return 0, nil, r.errorf("section size mismatch")
	}
	return n, bodies, ins.checkReloads()
}

// bodyWriter rewrites one function body at a time. Unchanged instructions
// are copied in runs from the input; copyFrom is the start of the pending run.
type bodyWriter struct {
	ins      *instrumenter
	r        *reader
	body     []byte
	copyFrom int
	acc      int64 // cost of the straight-line run not charged yet
	depth    uint32
	branches uint32 // block, loop, if, else, br, br_if and br_table so far
	hasCall  bool
	local    uint32 // index of the local caching the fuel global
}

// function rewrites one body (locals and code) read from r and appends it to out:
//
//	[depth++ and check]  fuel load and check  block (result types)  code  end  fuel store  [depth--  fuel check]  end
func (w *bodyWriter) function(r *reader, typeIdx uint32, out []byte) ([]byte, error) {
	groups, err := r.u32()
	if err != nil {
		return nil, err
	}
	start := r.pos
	numLocals := uint64(w.ins.typeParams[typeIdx])
	for i := uint32(0); i < groups; i++ {
		n, err := r.u32()
		if err != nil {
			return nil, err
		}
		numLocals += uint64(n)
		if err := within("locals", numLocals, w.ins.lim.Locals, &w.ins.seen.Locals); err != nil {
			return nil, err
		}
		t, err := r.byte()
		if err != nil {
			return nil, err
		}
		if err := checkValueType(r, t); err != nil {
			return nil, err
		}
	}
	out = appendU32(out, groups+2)
	out = append(out, r.b[start:r.pos]...)
	out = append(out, 1, valI64, 1, valI32) // the fuel cache and the depth on entry
	l, d := uint32(numLocals), uint32(numLocals)+1

	w.r, w.body, w.copyFrom, w.acc, w.depth, w.branches, w.hasCall, w.local = r, w.body[:0], r.pos, 0, 0, 0, false, l
	if err := w.code(); err != nil {
		return nil, err
	}
	if !r.eof() {
		return nil, r.errorf("function body size mismatch")
	}
	ins := w.ins
	ins.callSites++ // the entry check
	if w.hasCall {
		ins.callSites += 2 // the depth check and the exit check
	}
	if err := ins.checkReloads(); err != nil {
		return nil, err
	}
	if w.hasCall {
		out = ins.appendDepthEnter(out, d)
	}
	out = ins.appendLoadCheck(out, l)
	out = append(out, opBlock)
	out = append(out, ins.blockTypeFor(typeIdx)...)
	out = append(out, w.body...)
	out = ins.appendStore(out, l, 0)
	if w.hasCall {
		out = ins.appendDepthExit(out, d)
		out = ins.appendCheck(out, l)
	}
	return append(out, opEnd), nil
}

// copyRaw copies the pending run of input up to end.
func (w *bodyWriter) copyRaw(end int) {
	w.body = append(w.body, w.r.b[w.copyFrom:end]...)
	w.copyFrom = end
}

// charge ends the straight-line run before the terminator at start, whose
// own cost is cost.
func (w *bodyWriter) charge(start int, cost uint8) {
	w.copyRaw(start)
	if c := w.acc + int64(cost); c > 0 {
		w.body = w.ins.appendCharge(w.body, w.local, c)
	}
	w.acc = 0
}

// call ends the straight-line run before the call at start, charging it to
// the fuel global, then emits the call and reloads the cache. With replace
// set, a call to f replaces the instruction just read; otherwise the
// instruction is copied.
func (w *bodyWriter) call(start int, f uint32, replace bool) {
	w.ins.callSites++
	w.copyRaw(start)
	w.body = w.ins.appendStore(w.body, w.local, w.acc+costDefault)
	w.acc = 0
	if replace {
		w.body = append(w.body, opCall)
		w.body = appendU32(w.body, f)
		w.copyFrom = w.r.pos
	} else {
		w.copyRaw(w.r.pos)
	}
	w.body = w.ins.appendLoad(w.body, w.local)
}

// code rewrites instructions up to and including the function's final end.
func (w *bodyWriter) code() error {
	r := w.r
	for {
		start := r.pos
		if start >= len(r.b) {
			return r.errorf("unexpected end of function body")
		}
		op := r.b[start]
		r.pos++
		switch {
		case op >= 0x45 && op <= 0xc4: // numeric instructions, no immediates
			w.acc += int64(opCosts[op])
			continue
		case op == opLocalGet || op == opLocalSet || op == opLocalTee:
			at := r.pos
			l, err := r.u32()
			if err != nil {
				return err
			}
			if l >= w.local { // the guest must never reach the fuel cache
				return &ReservedIndexError{Space: "local", Index: l, Count: w.local, Offset: at}
			}
			w.acc += int64(opCosts[op])
			continue
		case op >= 0x28 && op <= 0x3e: // loads and stores
			if err := memarg(r); err != nil {
				return err
			}
			w.acc += int64(opCosts[op])
			continue
		}
		done, err := w.control(op, start)
		if err != nil || done {
			return err
		}
	}
}

// control handles every instruction but the common immediate-free ones. It
// reports whether op was the function's final end.
func (w *bodyWriter) control(op byte, start int) (bool, error) {
	r, ins := w.r, w.ins
	var err error
	switch op {
	case opBlock, opLoop, opIf, opElse, opBr, opBrIf, opBrTable:
		w.branches++
		if err := within("branches", uint64(w.branches), ins.lim.Branches, &ins.seen.Branches); err != nil {
			return false, err
		}
	}
	switch op {
	case opNop, opDrop, opSelect, opRefIsNull:
	case opUnreachable, opElse:
		w.charge(start, opCosts[op])
		return false, nil
	case opBlock:
		if err = w.nest(); err == nil {
			err = ins.blockType(r)
		}
		w.depth++
	case opLoop:
		if err = w.nest(); err == nil {
			err = ins.blockType(r)
		}
		if err != nil {
			return false, err
		}
		w.charge(start, opCosts[op])
		w.copyRaw(r.pos)
		w.body = ins.appendCheck(w.body, w.local)
		ins.callSites++
		w.depth++
		return false, nil
	case opIf:
		if err = w.nest(); err == nil {
			err = ins.blockType(r)
		}
		w.charge(start, opCosts[op])
		w.depth++
		return false, err
	case opEnd:
		w.charge(start, opCosts[op])
		if w.depth == 0 {
			w.copyRaw(r.pos)
			return true, nil
		}
		w.depth--
		return false, nil
	case opBr, opBrIf:
		err = w.label()
		w.charge(start, opCosts[op])
		return false, err
	case opBrTable:
		err = w.brTable()
		w.charge(start, opCosts[op])
		return false, err
	case opReturn:
		w.charge(start, opCosts[op])
		w.body = append(w.body, opBr)
		w.body = appendU32(w.body, w.depth)
		w.copyFrom = r.pos
		return false, nil
	case opCall:
		f, err := ins.funcIndex(r)
		if err != nil {
			return false, err
		}
		w.call(start, f, true)
		w.hasCall = true
		return false, nil
	case opCallIndirect:
		if _, err = ins.typeIndex(r); err == nil {
			_, err = r.u32()
		}
		if err != nil {
			return false, err
		}
		w.call(start, 0, false)
		w.hasCall = true
		return false, nil
	case opSelectT:
		_, err = valueTypes(r)
	case opGlobalGet, opGlobalSet:
		err = ins.globalIndex(r)
	case opTableGet, opTableSet:
		ins.writesTables = ins.writesTables || op == opTableSet
		_, err = r.u32()
	case opMemorySize:
		err = memIndex(r)
	case opMemoryGrow:
		if err = memIndex(r); err != nil {
			return false, err
		}
		w.call(start, ins.helper(helperKey{kind: helperMemoryGrow}), true)
		return false, nil
	case opI32Const:
		_, err = r.sleb(32)
	case opI64Const:
		_, err = r.sleb(64)
	case opF32Const:
		_, err = r.bytes(4)
	case opF64Const:
		_, err = r.bytes(8)
	case opRefNull:
		err = refNull(r)
	case opRefFunc:
		f, err := ins.funcIndex(r)
		if err != nil {
			return false, err
		}
		w.copyRaw(start)
		w.body = append(w.body, opRefFunc)
		w.body = appendU32(w.body, f)
		w.copyFrom = r.pos
	case opPrefixFC:
		return false, w.prefixFC(start)
	case opPrefixFD:
		var sub uint32
		if sub, err = r.u32(); err == nil {
			err = simdImmediates(r, sub, start)
		}
		w.acc += costDefault
		return false, err
	default:
		if err := refusedOpcode(op, start); err != nil {
			return false, err
		}
		return false, &DecodeError{Offset: start, Msg: "invalid opcode 0x" + hex2(op)}
	}
	w.acc += int64(opCosts[op])
	return false, err
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// label reads a branch label, which must be in scope: the rewriting adds
// an enclosing block, so a label one past the function's would otherwise
// become valid and skip the function's epilogue.
func (w *bodyWriter) label() error {
	at := w.r.pos
	l, err := w.r.u32()
	if err != nil {
		return err
	}
	if l > w.depth {
		return &DecodeError{Offset: at, Msg: "unknown label"}
	}
	return nil
}

// checkReloads checks the calls so far against the GlobalReloads limit:
// after every call wazero's compiler reloads every mutable global.
func (ins *instrumenter) checkReloads() error {
	return within("global reloads", ins.callSites*uint64(ins.numGlobals+2), ins.lim.GlobalReloads, &ins.seen.GlobalReloads)
}

// nest checks that one more block, loop or if fits the nesting limit.
func (w *bodyWriter) nest() error {
	return within("nesting", uint64(w.depth)+1, w.ins.lim.Nesting, &w.ins.seen.Nesting)
}

func (w *bodyWriter) brTable() error {
	r := w.r
	n, err := r.u32()
	if err != nil {
		return err
	}
	ins := w.ins
	if err := within("br_table targets", uint64(n)+1, ins.lim.BrTableTargets, &ins.seen.BrTableTargets); err != nil {
		return err
	}
	ins.brTargets += uint64(n) + 1
	if err := within("total br_table targets", ins.brTargets, ins.lim.TotalBrTableTargets, &ins.seen.TotalBrTableTargets); err != nil {
		return err
	}
	if uint64(n) > uint64(len(r.b)-r.pos) {
		return r.errorf("br_table length %d out of bounds", n)
	}
	for i := uint32(0); i <= n; i++ {
		if err := w.label(); err != nil {
			return err
		}
	}
	return nil
}

func refNull(r *reader) error {
	t, err := r.byte()
	if err != nil {
		return err
	}
	if refType(t) {
		return nil
	}
	if err := checkValueType(r, t); err != nil {
		return err
	}
	return r.errorf("invalid reference type 0x%02x", t)
}

// prefixFC handles the 0xfc family: saturating truncation and bulk memory
// and table instructions. Those whose cost depends on a size become calls to
// helpers that charge before they act.
func (w *bodyWriter) prefixFC(start int) error {
	r, ins := w.r, w.ins
	sub, err := r.u32()
	if err != nil {
		return err
	}
	var k helperKey
	switch sub {
	case 0, 1, 2, 3, 4, 5, 6, 7: // trunc_sat
		w.acc += costDefault
		return nil
	case fcDataDrop, fcElemDrop:
		ins.writesTables = ins.writesTables || sub == fcElemDrop
		_, err = r.u32()
		w.acc += costDefault
		return err
	case fcTableSize:
		_, err = ins.tableIndex(r)
		w.acc += costDefault
		return err
	case fcMemoryInit:
		if k.a, err = r.u32(); err == nil {
			err = memIndex(r)
		}
		k.kind = helperMemoryInit
	case fcMemoryCopy:
		if err = memIndex(r); err == nil {
			err = memIndex(r)
		}
		k.kind = helperMemoryCopy
	case fcMemoryFill:
		err = memIndex(r)
		k.kind = helperMemoryFill
	case fcTableInit:
		if k.a, err = r.u32(); err == nil {
			k.b, err = ins.tableIndex(r)
		}
		k.kind = helperTableInit
	case fcTableCopy:
		if k.a, err = ins.tableIndex(r); err == nil {
			k.b, err = ins.tableIndex(r)
		}
		k.kind = helperTableCopy
	case fcTableGrow:
		if !ins.tableRoom {
			return errNeedTableRoom
		}
		k.a, err = ins.tableIndex(r)
		k.kind = helperTableGrow
	case fcTableFill:
		k.a, err = ins.tableIndex(r)
		k.kind = helperTableFill
	default:
		return &DecodeError{Offset: start, Msg: "invalid 0xfc sub-opcode"}
	}
	if err != nil {
		return err
	}
	ins.writesTables = ins.writesTables || k.kind == helperTableInit || k.kind == helperTableCopy ||
		k.kind == helperTableGrow || k.kind == helperTableFill
	w.call(start, ins.helper(k), true)
	return nil
}
