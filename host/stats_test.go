package host_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

// TestInstanceStats checks the counts of where tasks' instances came from:
// instantiated, restored from a snapshot, made ahead by the ready pool, and
// made, reused and discarded by warm isolation.
func TestInstanceStats(t *testing.T) {
	ctx := context.Background()
	cfg := host.DefaultConfig()
	cfg.ReadyInstances = 2
	cfg.NoReset = true // reset instances: TestResetStats
	rt := newRuntime(t, cfg)
	m, art := prepareFile(t, rt, echoReactor)
	run := func(req host.Request) {
		t.Helper()
		req.Input = []byte("stats")
		if res, err := rt.Run(ctx, m, req); err != nil || string(res.Output) != "stats" {
			t.Fatalf("%+v: %v", req, err)
		}
	}
	grant := host.Request{Namespace: "s", Grants: host.Grants{Env: []string{"A=1"}}} // no pools for grants
	run(grant)
	if err := rt.Snapshot(ctx, m, art, "s"); err != nil {
		t.Fatal(err)
	}
	run(grant)
	noReady := host.Request{Namespace: "s", Limits: host.Limits{MemoryBytes: 32 << 20}} // not the default quota
	run(noReady)
	warm := host.Request{Namespace: "w", Isolation: host.IsolationWarm}
	run(warm)
	run(warm)
	short := warm
	short.Input, short.Limits.Fuel = []byte("stats"), 10
	if _, err := rt.Run(ctx, m, short); !errors.As(err, new(*host.FuelError)) {
		t.Fatalf("short budget: %v", err)
	}
	got := rt.InstanceStats()
	want := host.InstanceStats{Fresh: 2, Restored: 1, WarmNew: 1, WarmReused: 2, WarmDiscarded: 1}
	for reason, n := range got.ResetFallbacks {
		if n != 0 {
			t.Errorf("reset off, yet %d fallbacks %s", n, reason)
		}
	}
	got.ResetFallbacks = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after fresh, snapshot and warm runs: %+v, want %+v", got, want)
	}
	// The ready pool: tasks with the default quota take instances it made.
	for i := 0; i < 200 && rt.InstanceStats().Ready < 3; i++ {
		run(host.Request{Namespace: "s"})
		time.Sleep(time.Millisecond) // lets the background refill run
	}
	got = rt.InstanceStats()
	if got.Ready < 3 {
		t.Fatalf("ready pool: %+v", got)
	}
	// The pool refills in the background; its instances' memory is counted.
	for i := 0; i < 200 && rt.InstanceStats().ReadyBytes <= 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if b := rt.InstanceStats().ReadyBytes; b <= 0 {
		t.Fatalf("ready instance bytes %d after the refill", b)
	}
	if _, taken := m.ReadyStats("s"); uint64(taken) != got.Ready {
		t.Fatalf("%d tasks took a ready instance, InstanceStats says %d", taken, got.Ready)
	}
}
