package host

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero/api"
)

// PanicError is a Go panic in one of the host's nexus_v1 functions (a
// bug of the host or of its KV store, never the guest's doing): the
// task is stopped with it, its kind is internal (errkind.Code gives
// "internal"), and the process goes on.
type PanicError struct {
	// Import is the host function, e.g. "nexus_v1.kv_get".
	Import string
	// Value is what the function panicked with, printed.
	Value string
	// Stack is the panicking goroutine's stack.
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("host: %s panicked: %s", e.Import, e.Value)
}

// contain wraps a nexus_v1 function so that a Go panic in it (a value
// that is not an error, or a runtime error) stops the task with a
// *PanicError instead of becoming a trap. The errors host functions
// panic with on purpose (traps, fuel, deadline, cancellation) pass
// unchanged.
func contain(name string, fn api.GoModuleFunc) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if pe, ok := v.(*PanicError); ok { // from a bounded call's goroutine
				pe.Import = abi.ModuleNexus + "." + name
				panic(pe)
			}
			if err, ok := v.(error); ok {
				if _, bug := err.(runtime.Error); !bug {
					panic(v)
				}
			}
			panic(&PanicError{Import: abi.ModuleNexus + "." + name, Value: fmt.Sprint(v), Stack: debug.Stack()})
		}()
		fn(ctx, mod, stack)
	}
}
