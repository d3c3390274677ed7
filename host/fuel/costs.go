package fuel

// The cost table. Every change to a value here changes the fuel a module
// uses, so it must come with a CostTableVersion bump (and a Version bump,
// since the output changes).
const (
	// costDefault is charged for every instruction not listed otherwise,
	// including every 0xfc and 0xfd (SIMD) instruction.
	costDefault = 1

	// costBulkPerChunk is charged per started chunk of bulkChunkShift bytes
	// moved or written by memory.copy, memory.fill and memory.init, on top of
	// the instruction's own costDefault.
	costBulkPerChunk = 1
	bulkChunkShift   = 6 // 64 bytes

	// costGrowPerPage is charged per requested 64 KiB page by memory.grow
	// (whether or not the growth succeeds): the same as filling the page.
	costGrowPerPage = 65536 >> bulkChunkShift * costBulkPerChunk

	// costTablePerElem is charged per element by table.grow, table.fill,
	// table.copy and table.init.
	costTablePerElem = 1
)

// opCosts is the static cost of each single-byte opcode. Opcodes that do
// no work at run time (nop, drop, block, loop, else, end) are free.
var opCosts = func() (t [256]uint8) {
	for i := range t {
		t[i] = costDefault
	}
	for _, op := range []byte{opNop, opDrop, opBlock, opLoop, opElse, opEnd} {
		t[op] = 0
	}
	return t
}()
