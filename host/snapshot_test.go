package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

// prepareFile reads, prepares and compiles the module at path and returns
// it with its artifact.
func prepareFile(t testing.TB, rt *host.Runtime, path string) (*host.Module, []byte) {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	art, err := rt.Prepare(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Compile(context.Background(), wasm, art)
	if err != nil {
		t.Fatal(err)
	}
	return m, art
}

const echoReactor = "../examples/go/echoreactor/echoreactor.wasm"

func TestSnapshotEchoReactor(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, host.DefaultConfig())
	plain, _ := prepareFile(t, rt, echoReactor)
	snap, art := prepareFile(t, rt, echoReactor)
	if err := rt.Snapshot(ctx, snap, art, "echo"); err != nil {
		t.Fatal(err)
	}
	if got := snap.SnapshotStatus("echo"); got != "snapshot" {
		t.Fatalf("status %q", got)
	}
	in := bytes.Repeat([]byte("snapshot "), 1000)
	for i := 0; i < 3; i++ {
		want, err := rt.Run(ctx, plain, host.Request{Input: in, Namespace: "echo"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := rt.Run(ctx, snap, host.Request{Input: in, Namespace: "echo"})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Output, in) || !bytes.Equal(want.Output, in) {
			t.Fatalf("output differs")
		}
		if got.FuelUsed != want.FuelUsed {
			t.Fatalf("fuel %d from the snapshot, %d plain", got.FuelUsed, want.FuelUsed)
		}
		t.Logf("fuel %d, plain %v, snapshot %v", got.FuelUsed, want.Duration, got.Duration)
	}
}

func TestSnapshotFallsBack(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m, art := prepareFile(t, rt, "../examples/wat/echo.wasm")
	err := rt.Snapshot(context.Background(), m, art, "echo")
	if !errors.Is(err, host.ErrNoSnapshot) {
		t.Fatalf("err = %v", err)
	}
	if m.SnapshotStatus("echo") == "" || m.SnapshotStatus("echo") == "snapshot" {
		t.Fatalf("status %q", m.SnapshotStatus("echo"))
	}
	t.Log(m.SnapshotStatus("echo"))
}

// runEcho runs req on m and checks that the output echoes the input.
func runEcho(rt *host.Runtime, m *host.Module, req host.Request) error {
	res, err := rt.Run(context.Background(), m, req)
	if err != nil {
		return err
	}
	if !bytes.Equal(res.Output, req.Input) {
		return errors.New("output differs from input")
	}
	return nil
}

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

// TestInstanceStats checks the counts of where tasks' instances came from:
// instantiated, restored from a snapshot, made ahead by the ready pool, and
// made, reused and discarded by warm isolation.
func TestInstanceStats(t *testing.T) {
	ctx := context.Background()
	cfg := host.DefaultConfig()
	cfg.ReadyInstances = 2
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
	if got != want {
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
