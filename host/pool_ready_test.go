package host_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

// TestReadyPool runs the WAT echo (a wasi-command) and the snapshotted Go
// reactor with a ready pool and checks that tasks take ready instances and
// get the same output and fuel as without one.
func TestReadyPool(t *testing.T) {
	ctx := context.Background()
	cfg := host.DefaultConfig()
	cfg.ReadyInstances = 2
	rt, plainRT := newRuntime(t, cfg), newRuntime(t, host.DefaultConfig())
	for _, path := range []string{"../examples/wat/echo.wasm", echoReactor} {
		m, art := prepareFile(t, rt, path)
		ref, refArt := prepareFile(t, plainRT, path)
		if m.Profile() == "nexus-v1" {
			if err := rt.Snapshot(ctx, m, art, "r"); err != nil {
				t.Fatal(err)
			}
			if err := plainRT.Snapshot(ctx, ref, refArt, "r"); err != nil {
				t.Fatal(err)
			}
		}
		req := host.Request{Input: []byte("ready"), Namespace: "r"}
		want, err := plainRT.Run(ctx, ref, req)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			got, err := rt.Run(ctx, m, req)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Output) != "ready" || got.FuelUsed != want.FuelUsed {
				t.Fatalf("%s: output %q fuel %d, want fuel %d", path, got.Output, got.FuelUsed, want.FuelUsed)
			}
			if _, taken := m.ReadyStats("r"); taken >= 3 {
				break
			}
			time.Sleep(time.Millisecond) // lets the background refill run
		}
		if _, taken := m.ReadyStats("r"); taken < 3 {
			t.Fatalf("%s: %d tasks took a ready instance", path, taken)
		}
	}
}
