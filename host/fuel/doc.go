// Package fuel rewrites WebAssembly modules so that they meter their own
// execution: deterministic fuel accounting, preemption points and a
// deterministic call-depth limit, for a runtime (wazero) that has none.
//
// A module is instrumented once, at upload, with Instrument. The host then
// runs the rewritten module with the imports from ImportModule and reads the
// fuel global it exports.
//
// # What the rewriting adds
//
//   - Two function imports, appended after the module's own imports:
//     ImportSlice, func (remaining i64) -> i64, and ImportDepth, func ();
//     and a third, ImportTableRoom, func (total i64) -> i32, only in
//     modules that contain a table.grow. Every defined function index
//     shifts by two (or three); calls, ref.func, exports, the start
//     function, element segments and the name section are remapped.
//   - A mutable i64 global exported as ExportFuelGlobal (starts at 0) and a
//     mutable i32 call-depth global exported as ExportDepthGlobal.
//   - One i64 local per function caching the fuel global, so that charges in
//     loops are register arithmetic, and one i32 local holding the call
//     depth on entry, so that the exit restores it without a read.
//   - Helper functions, appended after the defined functions, that replace
//     the instructions whose cost depends on an operand.
//
// # Cost model
//
// Costs come from a versioned table (costs.go, CostTableVersion): 1 per
// instruction, including every 0xfc and SIMD instruction; 0 for nop, drop,
// block, loop, else and end. Dynamic costs are charged on top of the
// instruction's 1: memory.grow 1024 per requested 64 KiB page (whether or
// not it succeeds); memory.copy, memory.fill and memory.init 1 per started
// 64 bytes; table.grow, table.fill, table.copy and table.init 1 per element.
// The arithmetic is 64-bit, so no length can overflow it.
//
// # Where charges and checks sit
//
// The cost of each straight-line run is charged before the instruction that
// ends it: br, br_if, br_table, return, call, call_indirect, if, else, end,
// loop and unreachable; a call is charged before it calls. Runs of cost 0 are
// not charged. The fuel is checked (if negative, the guest calls
// ImportSlice with it and stores the result) at every function entry, every
// loop header, the exit of every function that calls, and in every helper
// after its charge and before its operation, so that a memory.fill of 4 GiB
// on a small budget is stopped before it starts.
//
// # Long operations
//
// memory.fill, memory.copy and memory.init of more than 1 MiB, and
// table.fill, table.copy and table.init of more than 64 Ki elements, are
// performed in chunks of that size with a call to ImportSlice between two
// chunks, passing the fuel global (never negative there, as the whole
// operation was charged and checked first), so the host can enforce the
// deadline and cancellation during the operation. Before the first chunk
// the helper runs the operation with length 0 at its end, which performs
// the specification's bounds check: an operation out of bounds traps
// without writing anything, as it did unchunked. memory.copy and
// table.copy copy backwards when the destination is above the source, so
// overlapping copies keep memmove semantics. Operations of one chunk or
// less run as before; the fuel charged does not depend on chunking.
//
// # Table growth
//
// table.grow charges its fuel, runs the check, then calls ImportTableRoom
// with the number of elements all the module's tables would hold after the
// growth: the sum of every table's table.size, as i64, plus the requested
// delta as an unsigned i32. The host returns 1 to allow it and 0 to refuse;
// on 0, table.grow returns -1 (as a failed memory.grow does) and grows
// nothing.
//
// # Structural limits
//
// Instrument checks the module against Config.Limits (DefaultLimits) while
// it decodes: counts of types, imports, functions, globals, tables, table
// elements, segments and exports; locals per function and in all; the size
// of each body and of the code section; control nesting, branches per
// function and br_table targets; and the calls times the globals, which
// is what wazero's compiler spends on reloading globals after calls.
// Counts are checked before anything is allocated in proportion to them
// and before any code is rewritten; a module past a limit is refused with
// a *LimitError naming it.
//
// # Cached fuel
//
// The cached fuel is written to the global before every call (including
// calls to imports and helpers) and on every return, and re-read after every
// call, so the host and callees always see the exact value. After a trap the
// global may lag behind the cache by the charges since the last call,
// return or slice; that lag is deterministic too.
//
// # Host accounting
//
// The host keeps given, the total fuel handed out. In slice(r) it computes
// used = given - r, fails the run if used > budget, and otherwise returns
// next = min(sliceSize, budget-used) and sets given = used + next. After the
// run, used = given - global, and the host fails the run if used > budget.
// A run that costs N fuel therefore succeeds with a budget of N and fails
// with N-1, whatever the slice size. Slice calls are where the host enforces
// deadlines and cancellation and preempts the task.
//
// # Overshoot bound
//
// Between two checks a guest runs at most two loop-free, call-free
// instruction sequences, each inside one function body (the rest of a leaf
// function and the rest of its caller up to its next call, loop or return).
// So the work done after the budget is exhausted is at most twice the static
// cost of the largest function body. The fuel charged past the budget may
// also include one dynamic charge, for an operation that is then not
// performed.
//
// # Call depth
//
// Each function that calls anything increments the depth global on entry
// and decrements it on every exit; above Config.MaxCallDepth it calls
// ImportDepth, after which the host traps (if the host returned, the guest
// would execute unreachable). Functions that call nothing are not counted:
// they add one bounded frame. The body is wrapped in a block of the
// function's result type and return becomes a branch to it, so every exit
// passes the epilogue. A trap leaves the depth high; instances are not reused
// after a trap.
//
// # Determinism
//
// The fuel a run uses depends only on the instrumented module, its input and
// the imports' behavior: not on timing, slice size, scheduling or the engine.
// It changes only with Version (any change to the output) or
// CostTableVersion (any change to the costs); persist both with artifacts.
//
// # Reserved names and refused modules
//
// Instrument refuses, so that guest code can never reach what the rewriting
// adds: imports from ImportModule and exports starting with ReservedPrefix
// (ErrReservedName); function, global, type or local indices at or past the
// module's own counts, and branches past a function's outermost label
// (ErrReservedIndex, DecodeError). It refuses features it cannot meter
// soundly with *UnsupportedError: threads and atomics (shared memory breaks
// determinism), tail calls (return_call skips the depth epilogue), exception
// handling (throw unwinds past epilogues), multiple memories, memory64, GC and
// typed function references, relaxed SIMD (nondeterministic). It refuses
// modules past Config.Limits with a *LimitError (ErrLimit). DWARF and other
// custom sections describing code offsets are dropped; the name section is
// remapped (module, function and local names kept, extended subsections
// dropped) or dropped if malformed; other custom sections are kept.
package fuel
