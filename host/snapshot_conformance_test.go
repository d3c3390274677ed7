package host_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/conformance"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/store"
)

// modeTarget is conformance.InProcess with a choice of start path: with
// snapshots set, Load pre-initialises every module it can, so nexus-v1
// reactors start each task from their snapshot. With reset set, instance
// reset is on and each case's task runs right after a dirtying task of
// the same module and name (dirtyInput), so that it runs in the instance
// that task used, reset; otherwise every task gets a new instance. It
// records every run's outcome and fuel so that two modes can be compared
// run by run.
type modeTarget struct {
	rt        *host.Runtime
	db        *store.DB
	snapshots bool
	ready     int
	reset     bool

	mu       sync.Mutex
	mods     map[string]*host.Module
	byHash   map[[32]byte]compiled
	snapped  int
	outcomes map[string]string // name + input → outcome and fuel
}

func newModeTarget(t *testing.T, snapshots bool, ready int, reset bool) *modeTarget {
	db, err := store.Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := host.DefaultConfig()
	cfg.KV = db
	cfg.ReadyInstances = ready
	cfg.NoReset = !reset
	return &modeTarget{rt: newRuntime(t, cfg), db: db, snapshots: snapshots, ready: ready, reset: reset,
		mods: map[string]*host.Module{}, byHash: map[[32]byte]compiled{}, outcomes: map[string]string{}}
}

func (p *modeTarget) Name() string {
	return fmt.Sprintf("in-process (snapshots %v, ready %d, reset %v)", p.snapshots, p.ready, p.reset)
}

// compiled is a module compiled once per distinct bytes, with its artifact.
type compiled struct {
	m   *host.Module
	art []byte
}

func (p *modeTarget) Load(ctx context.Context, name string, wasm []byte) error {
	sum := sha256.Sum256(wasm)
	p.mu.Lock()
	c, ok := p.byHash[sum]
	p.mu.Unlock()
	if !ok {
		art, err := p.rt.Prepare(ctx, wasm)
		if err != nil {
			return err
		}
		m, err := p.rt.Compile(ctx, wasm, art)
		if err != nil {
			return err
		}
		c = compiled{m, art}
		p.mu.Lock()
		p.byHash[sum] = c
		p.mu.Unlock()
	}
	m, art := c.m, c.art
	if p.snapshots {
		err := p.rt.Snapshot(ctx, m, art, name)
		if err != nil && !errors.Is(err, host.ErrNoSnapshot) {
			return err
		}
		if err == nil {
			p.mu.Lock()
			p.snapped++
			p.mu.Unlock()
		}
	}
	if p.reset {
		_ = p.rt.PrepareReset(ctx, m, name) // why not is counted at each task
	}
	p.mu.Lock()
	p.mods[name] = m
	p.mu.Unlock()
	return nil
}

func (p *modeTarget) Run(ctx context.Context, name string, input []byte, c *conformance.Case) (conformance.Outcome, error) {
	p.mu.Lock()
	m := p.mods[name]
	p.mu.Unlock()
	if m == nil {
		return conformance.Outcome{}, errors.New("module not loaded: " + name)
	}
	if p.ready > 0 {
		// Fill the pool and give it time to make an instance, so that the
		// task takes one.
		p.rt.FillReady(m, name)
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
			if idle, _ := m.ReadyStats(name); idle > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	req := host.Request{
		Input:     input,
		Namespace: name,
		Spawner:   conformance.NewInlineSpawner(p.rt, p.module),
		Config:    c.Config,
		Limits: host.Limits{
			Fuel:        c.Limits.Fuel,
			MemoryBytes: c.Limits.MemoryBytes,
			Timeout:     time.Duration(c.Limits.TimeoutMS) * time.Millisecond,
		},
	}
	if p.reset {
		// The dirtying task: its own kv, so that the case's kv is as a new
		// instance's task would find it; what it produces is not compared.
		dirty := req
		dirty.Input, dirty.KV = dirtyInput(c, input), memKV{}
		dirty.Spawner = conformance.NewInlineSpawner(p.rt, p.module)
		p.rt.Run(ctx, m, dirty)
	}
	res, err := p.rt.Run(ctx, m, req)
	o := conformance.Outcome{HasLogs: true, HasProgress: true}
	fuel := int64(-1)
	if res != nil {
		o.Output, o.Logs, o.Progress, fuel = res.Output, string(res.Logs), res.Progress, res.FuelUsed
	}
	if err != nil {
		o.Code, o.Message = errcode.Code(err), err.Error()
	}
	if o.Code != errcode.Timeout { // a deadline's fuel depends on the machine
		p.mu.Lock()
		p.outcomes[name+"\x00"+string(input)] = fmt.Sprintf("code=%s fuel=%d out=%q logs=%q progress=%v",
			o.Code, fuel, o.Output, o.Logs, o.Progress)
		p.mu.Unlock()
	}
	return o, nil
}

func (p *modeTarget) Close() error { return nil }

// module returns the module loaded as name, or nil (for the spawn cases'
// children).
func (p *modeTarget) module(name string) *host.Module {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mods[name]
}

// dirtyScript is the conformance script of the task run before each case in
// reset mode: it writes the guest's heap, stack, statics and globals
// (output, logs, progress, checkpoint, kv, configuration, fuel, recursion,
// stderr) without growing memory or failing, so that its instance is kept
// and reset for the case.
var dirtyScript = func() []byte {
	raw := `[["output","dirty output dirty output"],["output_repeat","0123456789abcdef",64],
		["log",2,"dirty log line"],["progress",3,7],["checkpoint_save","dirty checkpoint"],
		["kv_set","dirty-key","dirty value"],["kv_get","dirty-key",64],["config_get","dirty-key",64],
		["fuel"],["spin",2000],["recurse",40],["stderr","dirty stderr\\n"],["fuel"]]`
	var cmds []conformance.Command
	if err := json.Unmarshal([]byte(raw), &cmds); err != nil {
		panic(err)
	}
	b, err := conformance.EncodeScript(cmds)
	if err != nil {
		panic(err)
	}
	return b
}()

// dirtyInput is the input of the dirtying task before case c: the dirtying
// script for a script case, the case's own input for a fixture module.
func dirtyInput(c *conformance.Case, input []byte) []byte {
	if c.Module != "" {
		return input
	}
	return dirtyScript
}

// memKV is a kv store in memory for the dirtying tasks.
type memKV map[string][]byte

func (k memKV) Get(ns, key string) ([]byte, bool, error) {
	v, ok := k[ns+"\x00"+key]
	return v, ok, nil
}

func (k memKV) Set(ns, key string, value []byte, _ int64) error {
	k[ns+"\x00"+key] = append([]byte(nil), value...)
	return nil
}

func (k memKV) Delete(ns, key string) (bool, error) {
	_, ok := k[ns+"\x00"+key]
	delete(k, ns+"\x00"+key)
	return ok, nil
}

// TestConformanceSnapshotEquivalence runs the whole conformance suite three
// ways: in a new instance per task (plain instantiation), with every module
// snapshotted at load, and in reset instances after a task that dirtied
// them (snapshotted, and not); it checks that all pass and that every run
// has the same outcome, output, logs, progress and fuel in every mode.
func TestConformanceSnapshotEquivalence(t *testing.T) {
	if _, err := os.Stat("../conformance/guests/go/guest.wasm"); err != nil {
		t.Fatal(err)
	}
	guests, err := conformance.Guests()
	if err != nil {
		t.Fatal(err)
	}
	plain, snap, ready := newModeTarget(t, false, 0, false), newModeTarget(t, true, 0, false), newModeTarget(t, true, 4, false)
	reset, resetPost := newModeTarget(t, true, 0, true), newModeTarget(t, false, 0, true)
	t.Run("plain", func(t *testing.T) { conformance.Run(t, plain, guests) })
	t.Run("snapshot", func(t *testing.T) { conformance.Run(t, snap, guests) })
	t.Run("reset", func(t *testing.T) { conformance.Run(t, reset, guests) })
	t.Run("reset-post", func(t *testing.T) { conformance.Run(t, resetPost, guests) })
	others := []*modeTarget{snap, reset, resetPost}
	if !testing.Short() { // the ready pool changes nothing a task sees; the snapshot run covers its instances' state
		t.Run("snapshot+ready", func(t *testing.T) { conformance.Run(t, ready, guests) })
		others = append(others, ready)
	}
	if snap.snapped == 0 {
		t.Fatal("no module was snapshotted: the snapshot mode ran nothing new")
	}
	hits := 0
	for name, m := range ready.mods {
		_, n := m.ReadyStats(name)
		hits += n
	}
	if !testing.Short() && hits == 0 {
		t.Fatal("no task took a ready instance")
	}
	for _, r := range []*modeTarget{reset, resetPost} {
		st := r.rt.InstanceStats()
		if st.Reset == 0 {
			t.Fatalf("%s: no task ran in a reset instance: %+v", r.Name(), st)
		}
		t.Logf("%s: %d cases ran in a reset instance after a dirtying task, fallbacks %v", r.Name(), st.Reset, st.ResetFallbacks)
	}
	t.Logf("%d modules snapshotted, %d runs compared, %d ran in ready instances", snap.snapped, len(plain.outcomes), hits)
	for _, other := range others {
		if len(plain.outcomes) != len(other.outcomes) {
			t.Fatalf("%d runs plain, %d %s", len(plain.outcomes), len(other.outcomes), other.Name())
		}
		for k, want := range plain.outcomes {
			if got := other.outcomes[k]; got != want {
				t.Errorf("%q:\n plain %.300s\n %s %.300s", k[:min(len(k), 60)], want, other.Name(), got)
			}
		}
	}
}
