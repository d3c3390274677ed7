package host_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nexustask/nexus/host"
)

// TestFreshMemoryNotReused runs a guest that overwrites its memory, many
// times, plainly, from a snapshot and from the ready pool: every task must
// see the memory as initialised, never a previous task's writes (instances'
// memory regions are reset and reused), while warm tasks see them.
func TestFreshMemoryNotReused(t *testing.T) {
	ctx := context.Background()
	cfg := host.DefaultConfig()
	cfg.ReadyInstances = 2
	rt := newRuntime(t, cfg)
	const path = "testdata/fresh_memory.wasm"
	plain, _ := prepareFile(t, rt, path)
	snap, art := prepareFile(t, rt, path)
	if err := rt.Snapshot(ctx, snap, art, "s"); err != nil {
		t.Fatal(err)
	}
	want := "\x00I\x00\x00"
	for i := 0; i < 20; i++ {
		for _, m := range []*host.Module{plain, snap} {
			res, err := rt.Run(ctx, m, host.Request{Namespace: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Output) != want {
				t.Fatalf("run %d: output %q, want %q", i, res.Output, want)
			}
		}
	}
	if _, taken := snap.ReadyStats("s"); taken == 0 {
		t.Log("no task took a ready instance") // the pool is timing-dependent
	}
	warm := host.Request{Namespace: "w", Isolation: host.IsolationWarm}
	if _, err := rt.Run(ctx, plain, warm); err != nil {
		t.Fatal(err)
	}
	res, err := rt.Run(ctx, plain, warm)
	if err != nil || string(res.Output) != "XYZW" {
		t.Fatalf("second warm run: %v, output %q, want the first run's writes", err, res.Output)
	}
}

// TestFastPathsConcurrent runs the snapshot, ready-pool and warm paths from
// several goroutines at once: every task must get its own input back.
func TestFastPathsConcurrent(t *testing.T) {
	ctx := context.Background()
	cfg := host.DefaultConfig()
	cfg.ReadyInstances = 4
	rt := newRuntime(t, cfg)
	m, art := prepareFile(t, rt, echoReactor)
	if err := rt.Snapshot(ctx, m, art, "c"); err != nil {
		t.Fatal(err)
	}
	concurrently(t, 6, func(g int) error {
		for i := 0; i < 15; i++ {
			iso := host.IsolationFresh
			if (g+i)%2 == 0 {
				iso = host.IsolationWarm
			}
			in := []byte(fmt.Sprintf("g%d-i%d", g, i))
			if err := runEcho(rt, m, host.Request{Input: in, Namespace: "c", Isolation: iso}); err != nil {
				return err
			}
		}
		return nil
	})
}
