package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errkind"
)

// panicKV is a KV store with a bug: every call panics.
type panicKV struct{}

func (panicKV) Get(string, string) ([]byte, bool, error) { panic("kv exploded") }
func (panicKV) Set(string, string, []byte, int64) error  { panic("kv exploded") }
func (panicKV) Delete(string, string) (bool, error)      { panic("kv exploded") }

// TestHostFunctionPanic: a panic in a host function stops its task with a
// *host.PanicError of kind internal, holding the stack, not a trap; the
// runtime runs the next task.
func TestHostFunctionPanic(t *testing.T) {
	cfg := host.DefaultConfig()
	cfg.KV = panicKV{}
	rt := newRuntime(t, cfg)
	m := compileFile(t, rt, "../examples/wat/counter.wasm")
	_, err := rt.Run(context.Background(), m, host.Request{Input: []byte("1")})
	var pe *host.PanicError
	if !errors.As(err, &pe) || pe.Import != "nexus_v1.kv_get" || pe.Value != "kv exploded" || !strings.Contains(string(pe.Stack), "panic_test.go") {
		t.Fatalf("err = %T %v", err, err)
	}
	if code := errkind.Code(err); code != errkind.CodeInternal {
		t.Fatalf("code %s", code)
	}
	echo := compileFile(t, rt, "../examples/wat/echo.wasm")
	if res, err := rt.Run(context.Background(), echo, host.Request{Input: []byte("next")}); err != nil || string(res.Output) != "next" {
		t.Fatalf("next task: %v", err)
	}
}
