package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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

// blockKV is a KV store stuck in every call until release is closed.
type blockKV struct{ release chan struct{} }

func (b blockKV) Get(string, string) ([]byte, bool, error) { <-b.release; return nil, false, nil }
func (b blockKV) Set(string, string, []byte, int64) error  { <-b.release; return nil }
func (b blockKV) Delete(string, string) (bool, error)      { <-b.release; return false, nil }

// TestStuckHostCall: a task whose kv call blocks past the task's deadline
// ends with ErrTimeout at the deadline, the call abandoned (counted), and
// the runtime runs the next task.
func TestStuckHostCall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	cfg := host.DefaultConfig()
	cfg.KV = blockKV{release}
	rt := newRuntime(t, cfg)
	m := compileFile(t, rt, "../examples/wat/counter.wasm")
	before := rt.AbandonedCalls()
	_, err := rt.Run(context.Background(), m, host.Request{Input: []byte("1"), Limits: host.Limits{Timeout: 50 * time.Millisecond}})
	if !errors.Is(err, host.ErrTimeout) {
		t.Fatalf("err = %T %v", err, err)
	}
	if rt.AbandonedCalls() != before+1 {
		t.Fatalf("abandoned calls %d, want %d", rt.AbandonedCalls(), before+1)
	}
	echo := compileFile(t, rt, "../examples/wat/echo.wasm")
	if res, err := rt.Run(context.Background(), echo, host.Request{Input: []byte("next")}); err != nil || string(res.Output) != "next" {
		t.Fatalf("next task: %v", err)
	}
}
