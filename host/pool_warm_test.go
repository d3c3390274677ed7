package host_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nexustask/nexus/host"
)

// TestWarmIsolation checks that warm instances are reused (state persists
// between tasks), that one whose task trapped or ran out of fuel is
// discarded, and that a task error keeps the instance.
func TestWarmIsolation(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, host.DefaultConfig())
	m, _ := prepareFile(t, rt, echoReactor)
	req := host.Request{Input: []byte("warm"), Namespace: "w", Isolation: host.IsolationWarm}
	first, err := rt.Run(ctx, m, req)
	if err != nil || string(first.Output) != "warm" {
		t.Fatalf("first run: %v %q", err, first.Output)
	}
	if n := m.WarmIdle("w"); n != 1 {
		t.Fatalf("%d idle warm instances after a run, want 1", n)
	}
	second, err := rt.Run(ctx, m, req)
	if err != nil || string(second.Output) != "warm" {
		t.Fatalf("second run: %v %q", err, second.Output)
	}
	if 10*second.FuelUsed > first.FuelUsed {
		t.Fatalf("second warm run used %d fuel, the first (with initialisation) %d", second.FuelUsed, first.FuelUsed)
	}
	if n := m.WarmIdle("w"); n != 1 {
		t.Fatalf("%d idle warm instances after two runs, want 1 (reused)", n)
	}
	// A budget too small for the run: the instance ran out of fuel and is
	// not kept.
	short := req
	short.Limits.Fuel = second.FuelUsed / 2
	if _, err := rt.Run(ctx, m, short); !errors.As(err, new(*host.FuelError)) {
		t.Fatalf("short budget: %v", err)
	}
	if n := m.WarmIdle("w"); n != 0 {
		t.Fatalf("%d idle warm instances after running out of fuel, want 0", n)
	}
	// Fresh isolation leaves the pool alone.
	fresh := req
	fresh.Isolation = host.IsolationFresh
	if _, err := rt.Run(ctx, m, fresh); err != nil {
		t.Fatal(err)
	}
	if n := m.WarmIdle("w"); n != 0 {
		t.Fatalf("%d idle warm instances after a fresh run", n)
	}
}

// TestWarmSetIsolation checks that Module.SetIsolation makes requests that
// name no isolation run warm: one instance is reused, and its
// initialisation is charged to the first task only.
func TestWarmSetIsolation(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, host.DefaultConfig())
	m, _ := prepareFile(t, rt, echoReactor)
	m.SetIsolation("s", host.IsolationWarm)
	var fuel []int64
	for i := 0; i < 3; i++ {
		res, err := rt.Run(ctx, m, host.Request{Input: []byte("x"), Namespace: "s"})
		if err != nil {
			t.Fatal(err)
		}
		fuel = append(fuel, res.FuelUsed)
	}
	// A reused instance's state (the Go heap) persists, so later runs need
	// not use the same fuel, but none repeats the initialisation.
	if m.WarmIdle("s") != 1 || fuel[0] < 10*fuel[1] || fuel[0] < 10*fuel[2] {
		t.Fatalf("idle %d, fuel %v: want one reused instance, initialisation charged to the first task only", m.WarmIdle("s"), fuel)
	}
}
