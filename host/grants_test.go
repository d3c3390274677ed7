package host_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
)

type probeInfo struct {
	Args   []string
	Env    []string
	Unix   int64
	Random string
	Root   bool
}

func probe(t *testing.T, rt *host.Runtime, m *host.Module, g host.Grants) probeInfo {
	t.Helper()
	res, err := rt.Run(context.Background(), m, host.Request{Input: []byte("info"), Namespace: "probe", Grants: g})
	if err != nil {
		t.Fatalf("%v: %s", err, res.Logs)
	}
	var info probeInfo
	if err := json.Unmarshal(res.Output, &info); err != nil {
		t.Fatalf("%v: %s", err, res.Output)
	}
	return info
}

func TestGrants(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/wasiprobe.wasm")

	// No grants: deterministic clock and random, no env, no filesystem.
	a, b := probe(t, rt, m, host.Grants{}), probe(t, rt, m, host.Grants{})
	if a.Random != b.Random || a.Unix != b.Unix || len(a.Env) != 0 || a.Root ||
		len(a.Args) != 1 || a.Args[0] != "probe" {
		t.Fatalf("deterministic sandbox: %+v vs %+v", a, b)
	}
	if now := time.Now().Unix(); a.Unix > now-86400 && a.Unix < now+86400 {
		t.Fatalf("ungranted clock reads real time %d", a.Unix)
	}

	g := host.Grants{Clock: true, Random: true, Env: []string{"MODE=test", "EMPTY="}, Args: []string{"-v", "x"}}
	c, d := probe(t, rt, m, g), probe(t, rt, m, g)
	if now := time.Now().Unix(); c.Unix < now-60 || c.Unix > now+60 {
		t.Fatalf("granted clock %d, now %d", c.Unix, now)
	}
	if c.Random == d.Random {
		t.Fatalf("granted random repeats: %s", c.Random)
	}
	if strings.Join(c.Env, ",") != "MODE=test,EMPTY=" || strings.Join(c.Args, " ") != "probe -v x" {
		t.Fatalf("env %v args %v", c.Env, c.Args)
	}
	if _, err := rt.Run(context.Background(), m, host.Request{Grants: host.Grants{Env: []string{"=x"}}}); !errors.Is(err, host.ErrGrant) {
		t.Fatalf("bad env: %v", err)
	}
}

func TestScratchGrant(t *testing.T) {
	cfg := host.DefaultConfig()
	cfg.ScratchDir = t.TempDir()
	rt := newRuntime(t, cfg)
	m := compileFile(t, rt, "testdata/wasiprobe.wasm")
	run := func(input string, g host.Grants) string {
		t.Helper()
		res, err := rt.Run(context.Background(), m, host.Request{Input: []byte(input), Grants: g})
		if err != nil {
			t.Fatalf("%v: %s", err, res.Logs)
		}
		return strings.TrimSpace(string(res.Output))
	}
	if out := run("scratch 10", host.Grants{}); !strings.HasPrefix(out, "error:") {
		t.Fatalf("scratch without grant: %q", out)
	}
	g := host.Grants{Scratch: true, ScratchBytes: 1 << 20}
	if out := run("scratch 500000", g); out != "ok" {
		t.Fatalf("write within quota: %q", out)
	}
	if out := run("scratch 2000000", g); !strings.HasPrefix(out, "error:") {
		t.Fatalf("write past quota: %q", out)
	}
	left, _ := os.ReadDir(cfg.ScratchDir)
	if len(left) != 0 {
		t.Fatalf("scratch directories left behind: %v", left)
	}
}

func TestPureModule(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/pure.wasm")
	if !m.Pure() {
		t.Fatal("nexus_pure export not detected")
	}
	res, err := rt.Run(context.Background(), m, host.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if code := int32(binary.LittleEndian.Uint32(res.Output)); code != abi.ErrDenied {
		t.Fatalf("kv_set from a pure module = %d, want ERR_DENIED", code)
	}
	// Reads are denied too: a pure module's result may depend only on its
	// input and configuration, not on what another version wrote.
	if code := int32(binary.LittleEndian.Uint32(res.Output[4:])); code != abi.ErrDenied {
		t.Fatalf("kv_get from a pure module = %d, want ERR_DENIED", code)
	}
	if _, err := rt.Run(context.Background(), m, host.Request{Grants: host.Grants{Clock: true}}); !errors.Is(err, host.ErrGrant) {
		t.Fatalf("clock grant to a pure module: %v", err)
	}
}
