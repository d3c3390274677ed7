package host_test

import (
	"context"
	"testing"

	"github.com/nexustask/nexus/host"
)

// BenchmarkFastPath measures one invocation of the Go-compiled nexus-v1
// echo (examples/go/echoreactor) on each start path: plain (instantiate and
// run _initialize every task), snapshot (a fresh instance filled from the
// state after _initialize), snapshot-reset (an instance reset to the
// snapshot), snapshot-ready (a fresh instance made ahead by the ready
// pool) and warm (a reused instance), and of the WAT echo, fresh, reset
// and from the ready pool. 64 bytes in, output checked.
func BenchmarkFastPath(b *testing.B) {
	ctx := context.Background()
	cfg := host.DefaultConfig()
	cfg.NoReset = true
	rt := newRuntime(b, cfg)
	plain, _ := prepareFile(b, rt, echoReactor)
	snap, art := prepareFile(b, rt, echoReactor)
	if err := rt.Snapshot(ctx, snap, art, "bench"); err != nil {
		b.Fatal(err)
	}
	wat, _ := prepareFile(b, rt, "../examples/wat/echo.wasm")
	// The same modules with instance reset.
	resetRT := newRuntime(b, host.DefaultConfig())
	resetSnap, resetArt := prepareFile(b, resetRT, echoReactor)
	if err := resetRT.Snapshot(ctx, resetSnap, resetArt, "bench"); err != nil {
		b.Fatal(err)
	}
	resetWAT, _ := prepareFile(b, resetRT, "../examples/wat/echo.wasm")
	for _, m := range []*host.Module{resetSnap, resetWAT} {
		if err := resetRT.PrepareReset(ctx, m, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	// The same modules on a runtime with a ready pool.
	rcfg := host.DefaultConfig()
	rcfg.ReadyInstances = 8
	readyRT := newRuntime(b, rcfg)
	readySnap, readyArt := prepareFile(b, readyRT, echoReactor)
	if err := readyRT.Snapshot(ctx, readySnap, readyArt, "bench"); err != nil {
		b.Fatal(err)
	}
	readyWAT, _ := prepareFile(b, readyRT, "../examples/wat/echo.wasm")
	cases := []struct {
		name string
		rt   *host.Runtime
		m    *host.Module
		iso  host.Isolation
	}{
		{"go-reactor-plain", rt, plain, host.IsolationFresh},
		{"go-reactor-snapshot", rt, snap, host.IsolationFresh},
		{"go-reactor-snapshot-reset", resetRT, resetSnap, host.IsolationFresh},
		{"go-reactor-snapshot-ready", readyRT, readySnap, host.IsolationFresh},
		{"go-reactor-warm", rt, plain, host.IsolationWarm},
		{"wat-echo-fresh", rt, wat, host.IsolationFresh},
		{"wat-echo-reset", resetRT, resetWAT, host.IsolationFresh},
		{"wat-echo-fresh-ready", readyRT, readyWAT, host.IsolationFresh},
	}
	for _, c := range cases {
		req := host.Request{Input: benchInput, Namespace: "bench", Isolation: c.iso}
		rt := c.rt
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
