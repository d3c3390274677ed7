// Package nexus is the Go SDK for NexusTask's guest ABI v1: it turns a Go
// function into a task of the nexus-v1 profile and wraps every import of the
// nexus_v1 module (input, output, errors, logs, progress, checkpoints, the
// key-value store, configuration and fuel).
//
// A task is a package main built as a WebAssembly reactor. Register the task
// function from an init function; main is never called in a reactor, but
// package main still needs one:
//
//	//go:build wasip1
//
//	package main
//
//	import nexus "github.com/nexustask/nexus/abi/sdk/go"
//
//	func init() { nexus.Run(handle) }
//
//	func main() {}
//
//	func handle(in []byte) ([]byte, error) {
//		nexus.Info("got input")
//		return in, nil
//	}
//
// Build it with Go's wasip1 port in c-shared (reactor) mode:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o task.wasm .
//
// The module then exports _initialize (the Go runtime start-up, which runs
// every package's init functions), memory, and nexus_run (defined by this
// package). The host calls _initialize once and then nexus_run, which reads
// the whole input, calls the registered function, writes what it returns to
// the output and reports a returned error as the task's error. Without
// -buildmode=c-shared the module would also export _start and be refused at
// upload for having two entry points.
//
// # Errors
//
// Imports report failures as negative result codes. The functions of this
// package return them as a *CallError that unwraps to one of the Code
// constants, so callers test them with errors.Is:
//
//	if err := nexus.KVSet("k", v); errors.Is(err, nexus.ErrDenied) { ... }
//
// "Not found" is not an error: KVGet, LoadCheckpoint and Config report it
// with a boolean, KVDelete with found == false.
//
// # Concurrency
//
// A task runs one instance on one thread: the functions of this package may
// be called from any goroutine, but goroutines still running when the task
// function returns are stopped with the instance. Every task gets a fresh
// instance, so package variables start from their initial values each time.
//
// The functions that talk to the host exist only when GOOS=wasip1; on other
// systems the package provides just its types and constants.
package nexus
