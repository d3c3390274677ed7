// Package host is the NexusTask sandbox: it compiles guest modules with
// wazero and runs each task in a fresh instance under a memory quota, an
// output cap, a bounded log and a deadline.
//
// A Runtime is safe for concurrent use. Modules returned by Compile are
// shared by every task of that module; each Run instantiates its own copy
// and closes it before returning, so no guest state survives between tasks.
//
// Guests see no filesystem, network, environment or real clock: wazero's
// defaults give a deterministic clock and random source, and nothing is
// mounted. Errors from Run are typed (ExitError, TrapError, TaskError) or
// wrap one of the sentinels in errors.go, so callers can map them to the
// error codes of the HTTP contract without looking at strings.
package host
