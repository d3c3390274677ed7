package host_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/nexustask/nexus/host"
)

// benchInput is the input of every benchmarked invocation: small enough
// that the cost measured is the instantiation and the call, not the copy.
var benchInput = bytes.Repeat([]byte("nexus-64"), 8)

// benchModules are the guests BenchmarkInvoke runs, by sub-benchmark name.
var benchModules = []struct {
	name, path string
}{
	{"wat-echo", "../examples/wat/echo.wasm"},
	{"go-echo", "../examples/go/echo/echo.wasm"},
}

// BenchmarkInvoke measures one synchronous invocation of a compiled module:
// a fresh instance, 64 bytes of input, the output checked, the instance
// closed. The parallel sub-benchmarks run it from GOMAXPROCS goroutines
// sharing one Runtime and one Module, as the server does.
func BenchmarkInvoke(b *testing.B) {
	rt := newRuntime(b, host.DefaultConfig())
	for _, bm := range benchModules {
		m := compileFile(b, rt, bm.path)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := invokeEcho(rt, m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bm.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := invokeEcho(rt, m); err != nil {
						b.Error(err) // FailNow may not be called off the benchmark goroutine
						return
					}
				}
			})
		})
	}
}

// invokeEcho runs m on benchInput and reports an error unless the output
// echoes it. It is safe for concurrent use.
func invokeEcho(rt *host.Runtime, m *host.Module) error {
	res, err := rt.Run(context.Background(), m, host.Request{Input: benchInput})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if !bytes.Equal(res.Output, benchInput) {
		return fmt.Errorf("output %q, want %q", res.Output, benchInput)
	}
	return nil
}
