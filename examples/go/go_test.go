// Package goexamples_test runs the committed .wasm of every Go example in
// this folder through the real host, with a real kv store, and checks its
// output. It needs only Go: the .wasm files are not rebuilt (build.sh does
// that).
package goexamples_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/store"
)

// env is one host with a kv store in a temporary directory.
type env struct {
	rt *host.Runtime
	db *store.DB
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := host.DefaultConfig()
	cfg.KV = db
	rt, err := host.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	return &env{rt: rt, db: db}
}

// compile loads and compiles the committed example name/name.wasm.
func (e *env) compile(t *testing.T, name string) *host.Module {
	t.Helper()
	wasm, err := os.ReadFile(name + "/" + name + ".wasm")
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.rt.Compile(context.Background(), wasm, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if p := m.Profile(); p != "nexus-v1" {
		t.Fatalf("%s: profile %q, want nexus-v1", name, p)
	}
	return m
}

func (e *env) run(t *testing.T, m *host.Module, req host.Request) (*host.Result, error) {
	t.Helper()
	return e.rt.Run(context.Background(), m, req)
}

// output runs a task that must succeed and returns its output.
func (e *env) output(t *testing.T, m *host.Module, req host.Request) string {
	t.Helper()
	res, err := e.run(t, m, req)
	if err != nil {
		t.Fatalf("%s: %v\nlogs:\n%s", req.Input, err, res.Logs)
	}
	return string(res.Output)
}

func TestWordcount(t *testing.T) {
	e := newEnv(t)
	m := e.compile(t, "wordcount")
	for _, c := range []struct{ in, want string }{
		{"", `{"words":0,"lines":0,"bytes":0,"top":[]}`},
		{"the quick brown fox\njumps over the lazy dog\nThe dog barks; the fox runs.\n",
			`{"words":15,"lines":3,"bytes":73,"top":[["the",3],["dog",2],["fox",2],["The",1],["barks;",1]]}`},
		{"a\"b \t c\\d\r\na\"b \x01x\x7f",
			`{"words":4,"lines":1,"bytes":18,"top":[["a\"b",2],["\u0001x` + "\x7f" + `",1],["c\\d",1]]}`},
	} {
		if got := e.output(t, m, host.Request{Input: []byte(c.in)}); got != c.want {
			t.Errorf("wordcount(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestCounter(t *testing.T) {
	e := newEnv(t)
	m := e.compile(t, "counter")
	for _, c := range []struct {
		config map[string]string
		want   string
	}{
		{nil, "1"},
		{nil, "2"},
		{nil, "3"},
		{map[string]string{"step": "5"}, "8"},
	} {
		req := host.Request{Namespace: "counter", Config: c.config}
		if got := e.output(t, m, req); got != c.want {
			t.Errorf("counter with config %v: %q, want %q", c.config, got, c.want)
		}
	}
	if v, _, err := e.db.Get("counter", "count"); err != nil || string(v) != "8" {
		t.Errorf("stored count %q, %v; want \"8\"", v, err)
	}
	_, err := e.run(t, m, host.Request{Namespace: "counter", Config: map[string]string{"step": "x"}})
	var te *host.TaskError
	if !errors.As(err, &te) || te.Message != `counter: config step "x" is not a decimal integer` {
		t.Errorf("bad step: %v", err)
	}
	// Without a kv store every kv call is denied.
	rt, err := host.New(context.Background(), host.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	m2, err := rt.Compile(context.Background(), mustRead(t, "counter/counter.wasm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.Run(context.Background(), m2, host.Request{Namespace: "counter"})
	if !errors.As(err, &te) || te.Message != "counter: nexus: kv_get: denied" {
		t.Errorf("no kv store: %v", err)
	}
}

// fnv hashes the little-endian u64 encodings of 0..n-1 with FNV-1a 64.
func fnv(n uint64) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := uint64(0); i < n; i++ {
		for _, c := range binary.LittleEndian.AppendUint64(nil, i) {
			h = (h ^ uint64(c)) * 0x100000001b3
		}
	}
	return h
}

func checkpoint(step, hash uint64) string {
	return string(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, step), hash))
}

func TestLongjob(t *testing.T) {
	e := newEnv(t)
	m := e.compile(t, "longjob")
	for _, in := range []string{"", "1000", "1000\n"} {
		res, err := e.run(t, m, host.Request{Input: []byte(in)})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if want := fmt.Sprintf("%016x", fnv(1000)); string(res.Output) != want {
			t.Errorf("%q: output %s, want %s", in, res.Output, want)
		}
		if res.Progress != [2]int64{1000, 1000} {
			t.Errorf("%q: progress %v", in, res.Progress)
		}
		if string(res.Checkpoint) != checkpoint(1000, fnv(1000)) {
			t.Errorf("%q: checkpoint %x", in, res.Checkpoint)
		}
		if in == "" {
			t.Logf("fuel used for 1000 steps: %d", res.FuelUsed)
		}
	}
	if got := e.output(t, m, host.Request{Input: []byte("7")}); got != fmt.Sprintf("%016x", fnv(7)) {
		t.Errorf("7 steps: %s", got)
	}

	// A budget that runs out partway leaves the last checkpoint, which
	// holds the hash of the steps done so far.
	full, _ := e.run(t, m, host.Request{Input: []byte("1000")})
	const n = 100000
	res, err := e.run(t, m, host.Request{Input: []byte(fmt.Sprint(n)), Limits: host.Limits{Fuel: full.FuelUsed * 2}})
	var fe *host.FuelError
	if !errors.As(err, &fe) {
		t.Fatalf("with a small budget: %v, want a *host.FuelError", err)
	}
	if len(res.Checkpoint) != 16 {
		t.Fatalf("checkpoint %x", res.Checkpoint)
	}
	step := binary.LittleEndian.Uint64(res.Checkpoint)
	if step == 0 || step%100 != 0 || step >= n || string(res.Checkpoint) != checkpoint(step, fnv(step)) {
		t.Errorf("checkpoint after fuel ran out: step %d, %x", step, res.Checkpoint)
	}
	if done := res.Progress[0]; res.Progress[1] != n || done < int64(step) || done >= int64(step)+100 {
		t.Errorf("progress %v with checkpoint at step %d", res.Progress, step)
	}
}

func TestSHA256(t *testing.T) {
	e := newEnv(t)
	m := e.compile(t, "sha256")
	for _, c := range []struct {
		r    int
		text string
	}{{0, ""}, {1, ""}, {1, "abc"}, {3, "abc"}, {2, "a:b:c"}, {100000, "0123456789"}} {
		in := fmt.Sprintf("%d:%s", c.r, c.text)
		h := sha256.New()
		for range c.r {
			h.Write([]byte(c.text))
		}
		if got, want := e.output(t, m, host.Request{Input: []byte(in)}), hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%.20q: %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"abc", "x:abc", "-1:abc"} {
		var te *host.TaskError
		if _, err := e.run(t, m, host.Request{Input: []byte(in)}); !errors.As(err, &te) {
			t.Errorf("%q: %v, want a task error", in, err)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
