package host

import (
	"context"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// wasiStateFuncs are the WASI functions that can change an instance's WASI
// state (its sys.Context: the descriptor table, a descriptor's flags or
// offset) or end the instance. wazero cannot rebuild a sys.Context in
// place, so a task that calls one of them leaves an instance that is not
// reset for another task. Every other WASI function reads the state or
// the deterministic sources, which reset restores, or writes to the
// task's stdio.
var wasiStateFuncs = map[string]bool{
	"fd_close":            true,
	"fd_renumber":         true,
	"fd_fdstat_set_flags": true,
	"path_open":           true,
	"fd_seek":             true,
	"proc_exit":           true,
	"sock_accept":         true,
	"sock_shutdown":       true,
}

// wasiStateListeners gives the functions of wasiStateFuncs, and only them,
// a listener that marks the calling task: the WASI host module is
// instantiated with it, so other WASI functions and guest code run as
// without listeners.
var wasiStateListeners = experimental.FunctionListenerFactoryFunc(func(def api.FunctionDefinition) experimental.FunctionListener {
	if wasiStateFuncs[def.Name()] {
		return wasiStateListener{}
	}
	return nil
})

// wasiStateListener marks the task that calls the function it listens to.
type wasiStateListener struct{}

// Before implements experimental.FunctionListener.
func (wasiStateListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	if t := taskFrom(ctx); t != nil {
		t.wasiState = true
	}
}

// After implements experimental.FunctionListener.
func (wasiStateListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}

// Abort implements experimental.FunctionListener.
func (wasiStateListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {}
