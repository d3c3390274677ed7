package host_test

import (
	"context"
	"testing"

	"github.com/nexustask/nexus/host"
)

// BenchmarkFastPath measures one invocation of the Go-compiled nexus-v1
// echo (examples/go/echoreactor) on each start path: plain (instantiate and
// run _initialize every task), snapshot (a fresh instance of the
// pre-initialised module) and warm (a reused instance), and of the WAT
// echo, fresh, for comparison. 64 bytes in, output checked.
func BenchmarkFastPath(b *testing.B) {
	ctx := context.Background()
	rt := newRuntime(b, host.DefaultConfig())
	plain, _ := prepareFile(b, rt, echoReactor)
	snap, art := prepareFile(b, rt, echoReactor)
	if err := rt.Snapshot(ctx, snap, art, "bench"); err != nil {
		b.Fatal(err)
	}
	wat, _ := prepareFile(b, rt, "../examples/wat/echo.wasm")
	cases := []struct {
		name string
		m    *host.Module
		iso  host.Isolation
	}{
		{"go-reactor-plain", plain, host.IsolationFresh},
		{"go-reactor-snapshot", snap, host.IsolationFresh},
		{"go-reactor-warm", plain, host.IsolationWarm},
		{"wat-echo-fresh", wat, host.IsolationFresh},
	}
	for _, c := range cases {
		req := host.Request{Input: benchInput, Namespace: "bench", Isolation: c.iso}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := runEcho(rt, c.m, req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := runEcho(rt, c.m, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
