package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nexustask/nexus/host"
)

// resetRun runs input as a task of m under namespace and returns its
// output and fuel.
func resetRun(t *testing.T, rt *host.Runtime, m *host.Module, namespace, input string) (string, int64) {
	t.Helper()
	res, err := rt.Run(context.Background(), m, host.Request{Namespace: namespace, Input: []byte(input)})
	if err != nil {
		t.Fatalf("%s %q: %v", namespace, input, err)
	}
	return string(res.Output) + "|logs=" + string(res.Logs), res.FuelUsed
}

// TestResetLeaks: a task writes a secret into linear memory, over an active
// data segment's bytes and what _initialize wrote, and into two mutable
// globals (reset_leak.wat); a table slot (reset_table.wat); drops a passive
// data segment (reset_passive.wat); closes stderr (reset_wasi.wat); reads
// the clocks and random source, advancing them (reset_clock.wat). The
// next task of the same module and name looks for each: it must find what
// a new instance holds, with the same fuel. The first module runs in
// reset instances (both from its snapshot and from its post-instantiation
// state); the others fall back to new instances, each counted by reason.
func TestResetLeaks(t *testing.T) {
	ctx := context.Background()
	fresh := newRuntime(t, func() host.Config { c := host.DefaultConfig(); c.NoReset = true; return c }())
	rt := newRuntime(t, host.DefaultConfig())
	for _, tc := range []struct {
		file, write, reason string
		snapshot            bool
	}{
		{"testdata/reset_leak.wasm", "write:SECRET-0123456789", "", false},
		{"testdata/reset_leak.wasm", "write:SECRET-0123456789", "", true},
		{"testdata/reset_leak.wasm", "grow", host.ResetMemoryGrown, false},
		{"testdata/reset_clock.wasm", "write", "", false},
		{"testdata/reset_table.wasm", "write", host.ResetTableWrite, false},
		{"testdata/reset_passive.wasm", "write", host.ResetNoPristine, false},
		{"testdata/reset_wasi.wasm", "write", host.ResetWASIState, false},
	} {
		name := fmt.Sprintf("%s/%s/snapshot=%v", tc.file, tc.write, tc.snapshot)
		t.Run(name, func(t *testing.T) {
			ns := fmt.Sprintf("ns-%v-%s", tc.snapshot, tc.write)
			want := func() (string, int64) {
				m, art := prepareFile(t, fresh, tc.file)
				if tc.snapshot {
					if err := fresh.Snapshot(ctx, m, art, ns); err != nil {
						t.Fatal(err)
					}
				}
				return resetRun(t, fresh, m, ns, "read")
			}
			wantOut, wantFuel := want()
			m, art := prepareFile(t, rt, tc.file)
			if tc.snapshot {
				if err := rt.Snapshot(ctx, m, art, ns); err != nil {
					t.Fatal(err)
				}
			}
			err := rt.PrepareReset(ctx, m, ns)
			if (err == nil) != (tc.reason == "" || tc.reason == host.ResetMemoryGrown || tc.reason == host.ResetWASIState) {
				t.Fatalf("PrepareReset: %v", err)
			}
			before := rt.InstanceStats()
			for i := 0; i < 3; i++ {
				resetRun(t, rt, m, ns, tc.write)
				out, fuel := resetRun(t, rt, m, ns, "read")
				if out != wantOut || fuel != wantFuel {
					t.Fatalf("round %d: read after %q found %q (fuel %d), a new instance %q (fuel %d)",
						i, tc.write, out, fuel, wantOut, wantFuel)
				}
				if bytes.Contains([]byte(out), []byte("SECRET")) {
					t.Fatalf("the secret leaked: %q", out)
				}
			}
			after := rt.InstanceStats()
			if tc.reason == "" {
				if n := after.Reset - before.Reset; n < 4 {
					t.Fatalf("%d of 6 tasks ran in a reset instance", n)
				}
				return
			}
			if n := after.ResetFallbacks[tc.reason] - before.ResetFallbacks[tc.reason]; n < 3 {
				t.Fatalf("%d fallbacks %s, want at least 3 (%+v)", n, tc.reason, after.ResetFallbacks)
			}
		})
	}
}

// TestResetEquivalence runs the Go echo reactor's tasks, of several
// inputs, in new instances and in reset ones, from its snapshot and from
// its post-instantiation state, and requires the same output, logs and
// fuel. From the snapshot every task but the first runs in a reset
// instance; from the post-instantiation state each task runs the Go
// runtime's start-up, which sets stdio's descriptor flags
// (fd_fdstat_set_flags), so each instance is closed (wasi_state).
func TestResetEquivalence(t *testing.T) {
	ctx := context.Background()
	fresh := newRuntime(t, func() host.Config { c := host.DefaultConfig(); c.NoReset = true; return c }())
	rt := newRuntime(t, host.DefaultConfig())
	fm, _ := prepareFile(t, fresh, echoReactor)
	m, art := prepareFile(t, rt, echoReactor)
	if err := rt.Snapshot(ctx, m, art, "snap"); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"snap", "post"} {
		if err := rt.PrepareReset(ctx, m, ns); err != nil {
			t.Fatal(err)
		}
	}
	inputs := []string{"one", "a longer input that the guest copies around", "", "one"}
	for _, ns := range []string{"snap", "post"} {
		before := rt.InstanceStats().Reset
		for _, in := range inputs {
			wantOut, wantFuel := resetRun(t, fresh, fm, ns, in)
			out, fuel := resetRun(t, rt, m, ns, in)
			if out != wantOut || fuel != wantFuel {
				t.Fatalf("%s %q: reset %q (fuel %d), new instance %q (fuel %d)", ns, in, out, fuel, wantOut, wantFuel)
			}
		}
		st := rt.InstanceStats()
		if n := st.Reset - before; ns == "snap" && n < uint64(len(inputs)-1) {
			t.Fatalf("%s: %d of %d tasks ran in a reset instance (%+v)", ns, n, len(inputs), st)
		}
		if ns == "post" && st.ResetFallbacks[host.ResetWASIState] < uint64(len(inputs)) {
			t.Fatalf("%s: %d wasi_state fallbacks (%+v)", ns, st.ResetFallbacks[host.ResetWASIState], st)
		}
	}
}

// TestResetFallbacks: a task that fails other than by returning an error
// from nexus_run closes its instance (counted by reason); one that returns
// an error keeps it; grants and a memory quota the pristine state does not
// fit run in new instances.
func TestResetFallbacks(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, host.DefaultConfig())
	m, _ := prepareFile(t, rt, "testdata/nexus_echo.wasm")
	if err := rt.PrepareReset(ctx, m, "e"); err != nil {
		t.Fatal(err)
	}
	resetRun(t, rt, m, "e", "warm up")
	count := func(reason string) uint64 { return rt.InstanceStats().ResetFallbacks[reason] }
	before := rt.InstanceStats()
	if _, err := rt.Run(ctx, m, host.Request{Namespace: "e", Input: []byte("fail")}); !errors.As(err, new(*host.TaskError)) {
		t.Fatalf("fail: %v", err)
	}
	if m.ResetIdle("e") != 1 {
		t.Fatalf("a task error discarded the instance: %d idle", m.ResetIdle("e"))
	}
	fuel := count(host.ResetFuel)
	if _, err := rt.Run(ctx, m, host.Request{Namespace: "e", Input: []byte("x"), Limits: host.Limits{Fuel: 5}}); !errors.As(err, new(*host.FuelError)) {
		t.Fatalf("short budget: %v", err)
	}
	if count(host.ResetFuel) != fuel+1 || m.ResetIdle("e") != 0 {
		t.Fatalf("out of fuel: %d fuel fallbacks, %d idle", count(host.ResetFuel)-fuel, m.ResetIdle("e"))
	}
	grants := count(host.ResetGrants)
	if _, err := rt.Run(ctx, m, host.Request{Namespace: "e", Input: []byte("x"), Grants: host.Grants{Env: []string{"A=1"}}}); err != nil {
		t.Fatal(err)
	}
	if count(host.ResetGrants) != grants+1 {
		t.Fatal("a task with grants was not counted")
	}
	out := func(budget int64, lim host.Limits) {
		t.Helper()
		res, err := rt.Run(ctx, m, host.Request{Namespace: "e", Input: []byte("ok"), Limits: lim})
		if err != nil || string(res.Output) != "OK" {
			t.Fatalf("%+v: %v", lim, err)
		}
	}
	out(0, host.Limits{})
	out(0, host.Limits{MemoryBytes: 1 << 20})
	out(0, host.Limits{MemoryBytes: 1 << 20})
	out(0, host.Limits{})
	if m.ResetIdle("e") != 2 {
		t.Fatalf("instances of two quotas: %d idle, want 2", m.ResetIdle("e"))
	}
	if st := rt.InstanceStats(); st.ResetBytes <= 0 || st.Reset-before.Reset < 2 {
		t.Fatalf("stats: %+v", st)
	}
	if n := rt.ReleaseIdle(); n != 2 || m.ResetIdle("e") != 0 || rt.InstanceStats().ResetBytes != 0 {
		t.Fatalf("ReleaseIdle closed %d, %d idle, %d bytes", n, m.ResetIdle("e"), rt.InstanceStats().ResetBytes)
	}
}

// TestResetBudget: idle reset instances count against Config.ReadyBytes;
// one that would pass it is closed and counted.
func TestResetBudget(t *testing.T) {
	ctx := context.Background()
	cfg := host.DefaultConfig()
	cfg.ReadyBytes = 64 << 10 // one page: one echo instance
	rt := newRuntime(t, cfg)
	m, _ := prepareFile(t, rt, "testdata/nexus_echo.wasm")
	if err := rt.PrepareReset(ctx, m, "a"); err != nil {
		t.Fatal(err)
	}
	if err := rt.PrepareReset(ctx, m, "b"); err != nil {
		t.Fatal(err)
	}
	resetRun(t, rt, m, "a", "x")
	resetRun(t, rt, m, "b", "x")
	if m.ResetIdle("a") != 1 || m.ResetIdle("b") != 0 {
		t.Fatalf("idle a %d, b %d", m.ResetIdle("a"), m.ResetIdle("b"))
	}
	if n := rt.InstanceStats().ResetFallbacks[host.ResetBudget]; n != 1 {
		t.Fatalf("%d budget fallbacks", n)
	}
}

// TestResetPressure: under memory pressure idle instances are released
// and none is kept.
func TestResetPressure(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, host.DefaultConfig())
	short := false
	host.SetMemoryPressure(rt, func() bool { return short })
	m, _ := prepareFile(t, rt, "testdata/nexus_echo.wasm")
	for _, ns := range []string{"a", "b"} {
		if err := rt.PrepareReset(ctx, m, ns); err != nil {
			t.Fatal(err)
		}
	}
	resetRun(t, rt, m, "a", "x")
	if m.ResetIdle("a") != 1 {
		t.Fatal("no instance kept")
	}
	short = true
	resetRun(t, rt, m, "b", "x")
	if m.ResetIdle("a") != 0 || m.ResetIdle("b") != 0 {
		t.Fatalf("under pressure: idle a %d, b %d", m.ResetIdle("a"), m.ResetIdle("b"))
	}
	if n := rt.InstanceStats().ResetFallbacks[host.ResetPressure]; n != 1 {
		t.Fatalf("%d pressure fallbacks", n)
	}
}

// TestResetWASICommand: a wasi-command whose _start returns (the WAT echo)
// runs in reset instances, its stdin read from the start for each task;
// one that calls proc_exit (the Go echo) falls back, counted as exit, and
// after 16 such instances in a row stops making them, trying again once
// in 64 tasks.
func TestResetWASICommand(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, host.DefaultConfig())
	for _, tc := range []struct {
		file   string
		reason string
	}{
		{"../examples/wat/echo.wasm", ""},
		{"../examples/go/echo/echo.wasm", host.ResetExit},
	} {
		m, _ := prepareFile(t, rt, tc.file)
		if err := rt.PrepareReset(ctx, m, "cmd"); err != nil {
			t.Fatal(err)
		}
		before := rt.InstanceStats()
		for _, in := range []string{"a longer first input, which the next must not see", "short", ""} {
			res, err := rt.Run(ctx, m, host.Request{Namespace: "cmd", Input: []byte(in)})
			if err != nil || string(res.Output) != in {
				t.Fatalf("%s %q: %q, %v", tc.file, in, res.Output, err)
			}
		}
		after := rt.InstanceStats()
		if tc.reason == "" && after.Reset-before.Reset != 2 {
			t.Fatalf("%s: %d of 3 tasks reset (%+v)", tc.file, after.Reset-before.Reset, after)
		}
		if tc.reason == "" {
			continue
		}
		if after.ResetFallbacks[tc.reason]-before.ResetFallbacks[tc.reason] != 3 {
			t.Fatalf("%s: %+v", tc.file, after.ResetFallbacks)
		}
		for i := 3; i < 16+64; i++ {
			if res, err := rt.Run(ctx, m, host.Request{Namespace: "cmd", Input: []byte("x")}); err != nil || string(res.Output) != "x" {
				t.Fatalf("task %d: %v", i, err)
			}
		}
		st := rt.InstanceStats()
		if exits, skipped := st.ResetFallbacks[host.ResetExit], st.ResetFallbacks[host.ResetUnreusable]; exits != 17 || skipped != 63 {
			t.Fatalf("%d exits, %d skipped; want 17 and 63", exits, skipped)
		}
	}
}
