// Package host is the NexusTask sandbox: it compiles guest modules with
// wazero and runs each task in a fresh instance under a fuel budget, a
// memory quota, a table-element limit, an output cap, a bounded log and a
// deadline.
//
// Uploads are bounded too: Prepare refuses a module that no task could
// start (memory or tables at start above Config.Max), Prepare and Compile
// stop when their context ends (ErrCompileTimeout past its deadline), and
// Snapshot runs a module's initialisation under its own small fuel budget
// and deadline (Config.SnapshotFuel, SnapshotTimeout).
//
// Modules run as rewritten by package fuel: they count their own fuel and
// call the host at slice boundaries (every SliceFuel units, at a function
// entry or loop header). There the host accounts the fuel, stops the task
// with a *FuelError once the budget is gone, stops it when its deadline
// passes or it is canceled, and calls the task's Yielder, which may block
// to preempt it. Fuel used is deterministic: the same module and input use
// the same fuel on every run, and a budget of exactly the fuel a run needs
// is enough. The rewriting also bounds call depth (ErrCallDepth).
//
// A Runtime is safe for concurrent use. Modules returned by Compile are
// shared by every task of that module; each Run runs in an instance no
// earlier task's state survives in: its own copy, closed before Run
// returns, or (instance reset, the default where it is provably the
// same) an earlier task's instance reset to the state right after
// initialisation.
//
// Three things make starting that copy cheap (see RATIONALE.md). Snapshot
// pre-initialises a nexus-v1 module: its tasks start in a fresh instance
// filled from the state right after _initialize, mapped copy-on-write, and
// cannot tell it from running the initialisation themselves. Linear memory
// is mapped rather than allocated, zero-filled page by page as tasks touch
// it. Config.ReadyInstances keeps fresh instances made ahead of demand.
// Instance reset (pool_reset.go, Config.NoReset) keeps a used instance
// and puts back, between two tasks, everything a task can observe: the
// memory pages it wrote, every mutable global, the deterministic clocks
// and random source; tasks for which that is not provably the same as a
// new instance fall back to one, counted by reason (InstanceStats). A
// module may instead opt out of fresh instances per name
// (Module.SetIsolation, Request.Isolation): IsolationWarm reuses instances
// across its tasks.
//
// Guests see no filesystem, network, environment or real clock: wazero's
// defaults give a deterministic clock and random source, and nothing is
// mounted. Errors from Run are typed (ExitError, TrapError, TaskError) or
// wrap one of the sentinels in errors.go, so callers can map them to the
// error codes of the HTTP contract without looking at strings.
//
// # Layout
//
// Files are named by concept. The nexus_v1 host functions are abi_*.go,
// one per area (abi_imports.go lists them; fuel_remaining and the fuel
// module's imports are in metering.go). A task starts in instance.go,
// which picks a warm instance (pool_warm.go), a ready one (pool_ready.go),
// a reset one (pool_reset.go, its pristine state in reset_state.go, the
// WASI calls that rule it out in wasi_state.go, memory pressure in
// pressure.go), one restored from a snapshot (snapshot.go,
// snapshot_memory.go) or a fresh one; pool.go holds a module's per-name
// state for all of them.
// shape.go reads a module's imports, exports, memory and tables before
// compiling it, compile.go compiles it.
//
// What knows nothing of tasks lives in internal packages: the binary
// reader (internal/wasmbin), the module rewriting, memory images and
// deterministic clocks behind snapshots (internal/snapshot) and the
// scratch directory's file system (internal/scratch). The instance pools,
// taking a snapshot and restoring one stay in package host, grouped by
// file name: each reads and writes the task (its meter, memory quota,
// output and logs), the Module and the Runtime's counters, and calls
// Runtime.call. Moving them would export those internals to a sibling
// package, or put an interface or a function value on every invocation
// where a direct call is now.
package host
