// Package c_test runs the committed C example tasks through the real
// host, with a real store behind the kv imports. It needs only Go and the
// committed .wasm files; build.sh rebuilds them from source.
package c_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/store"
)

// env is one runtime with a kv store, shared by a test's runs.
type env struct {
	t  *testing.T
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
	return &env{t: t, rt: rt, db: db}
}

// compile loads and compiles the example's committed .wasm, checking it is
// a nexus-v1 reactor: it exports memory, nexus_run and _initialize, and no
// _start.
func (e *env) compile(name string) *host.Module {
	e.t.Helper()
	wasm, err := os.ReadFile(filepath.Join(name, name+".wasm"))
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.rt.Compile(context.Background(), wasm, nil)
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	if m.Profile() != abi.ProfileNexusV1 {
		e.t.Fatalf("%s: profile %q, want %q", name, m.Profile(), abi.ProfileNexusV1)
	}
	exports := m.Exports()
	for _, want := range []string{abi.ExportMemory, abi.ExportRun, abi.ExportInitialize} {
		if !slices.Contains(exports, want) {
			e.t.Errorf("%s: exports %q, missing %q", name, exports, want)
		}
	}
	if slices.Contains(exports, abi.ExportStart) {
		e.t.Errorf("%s: exports %q", name, abi.ExportStart)
	}
	return m
}

// run runs one task of m in namespace name and fails the test on error.
func (e *env) run(m *host.Module, name string, req host.Request) *host.Result {
	e.t.Helper()
	req.Namespace = name
	res, err := e.rt.Run(context.Background(), m, req)
	if err != nil {
		e.t.Fatalf("%s(%q): %v\nlogs:\n%s", name, req.Input, err, res.Logs)
	}
	return res
}

func TestWordcount(t *testing.T) {
	e := newEnv(t)
	m := e.compile("wordcount")
	if !m.Pure() {
		t.Error("wordcount is not declared pure")
	}
	// The cases of every language's wordcount test: the outputs are the same.
	tests := []struct {
		name, input, want string
	}{
		{"empty", "", `{"words":0,"lines":0,"bytes":0,"top":[]}`},
		{"text", "the quick brown fox\njumps over the lazy dog\nThe dog barks; the fox runs.\n",
			`{"words":15,"lines":3,"bytes":73,"top":[["the",3],["dog",2],["fox",2],["The",1],["barks;",1]]}`},
		{"escapes", "a\"b \t c\\d\r\na\"b \x01x\x7f",
			`{"words":4,"lines":1,"bytes":18,"top":[["a\"b",2],["\u0001x` + "\x7f" + `",1],["c\\d",1]]}`},
		{"whitespace", " a\tb\r\nb\va\fc \n", `{"words":5,"lines":2,"bytes":13,"top":[["a",2],["b",2],["c",1]]}`},
		{"bytes", "caf\xc3\xa9 \xff\xfe Caf\xc3\xa9 caf\xc3\xa9", `{"words":4,"lines":0,"bytes":20,"top":[["café",2],["Café",1],["` + "\xff\xfe" + `",1]]}`},
	}
	many, manyWant := manyWords()
	tests = append(tests, struct{ name, input, want string }{"many", many, manyWant})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.run(m, "wordcount", host.Request{Input: []byte(tt.input)})
			if got := string(res.Output); got != tt.want {
				t.Errorf("output\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// manyWords returns an input with thousands of distinct words (enough to
// grow the task's hash table several times) and its expected output.
func manyWords() (input, want string) {
	var b strings.Builder
	counts := map[string]int{}
	words, lines := 0, 0
	for i := range 5000 {
		w := fmt.Sprintf("w%d", i*7919%5003)
		for range 1 + i%4 {
			b.WriteString(w)
			b.WriteByte(" \n\t"[i%3])
			counts[w]++
			words++
			if i%3 == 1 {
				lines++
			}
		}
	}
	type wc struct {
		w string
		n int
	}
	var all []wc
	for w, n := range counts {
		all = append(all, wc{w, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].w < all[j].w
	})
	var top []string
	for _, x := range all[:5] {
		top = append(top, fmt.Sprintf("[%q,%d]", x.w, x.n))
	}
	input = b.String()
	want = fmt.Sprintf(`{"words":%d,"lines":%d,"bytes":%d,"top":[%s]}`, words, lines, len(input), strings.Join(top, ","))
	return input, want
}

func TestCounter(t *testing.T) {
	e := newEnv(t)
	m := e.compile("counter")
	for _, want := range []string{"1", "2", "3"} {
		if got := string(e.run(m, "counter", host.Request{}).Output); got != want {
			t.Errorf("output %q, want %q", got, want)
		}
	}
	res := e.run(m, "counter", host.Request{Config: map[string]string{"step": "5"}})
	if got := string(res.Output); got != "8" {
		t.Errorf("with step=5: output %q, want %q", got, "8")
	}
	v, found, err := e.db.Get("counter", "count")
	if err != nil || !found || string(v) != "8" {
		t.Errorf("stored count = %q, %v, %v; want \"8\"", v, found, err)
	}
	res = e.run(m, "counter", host.Request{Config: map[string]string{"step": " -10 "}})
	if got := string(res.Output); got != "-2" {
		t.Errorf("with step=-10: output %q, want %q", got, "-2")
	}
	// Each module name has its own namespace.
	if got := string(e.run(m, "other", host.Request{}).Output); got != "1" {
		t.Errorf("fresh namespace: output %q, want %q", got, "1")
	}

	_, err = e.rt.Run(context.Background(), m, host.Request{Namespace: "counter", Config: map[string]string{"step": "x"}})
	var te *host.TaskError
	if !errors.As(err, &te) || te.Message != "config step: not a decimal number" {
		t.Errorf("bad step: error %v", err)
	}

	// A value that another writer left in the store is checked, not trusted.
	if err := e.db.Set("counter", "count", []byte("many"), 1<<20); err != nil {
		t.Fatal(err)
	}
	_, err = e.rt.Run(context.Background(), m, host.Request{Namespace: "counter"})
	if !errors.As(err, &te) || te.Message != "kv count: not a decimal number" {
		t.Errorf("bad stored count: error %v", err)
	}
}

// fnv returns FNV-1a 64 over the little-endian u64 encodings of 0..n-1.
func fnv(n uint64) uint64 {
	h := uint64(0xcbf29ce484222325)
	var b [8]byte
	for i := range n {
		binary.LittleEndian.PutUint64(b[:], i)
		for _, c := range b {
			h = (h ^ uint64(c)) * 0x100000001b3
		}
	}
	return h
}

// decodeCheckpoint splits longjob's checkpoint into N, steps done and hash.
func decodeCheckpoint(t *testing.T, cp []byte) (n, done, hash uint64) {
	t.Helper()
	if len(cp) != 24 {
		t.Fatalf("checkpoint is %d bytes, want 24", len(cp))
	}
	le := binary.LittleEndian
	return le.Uint64(cp), le.Uint64(cp[8:]), le.Uint64(cp[16:])
}

func TestLongjob(t *testing.T) {
	e := newEnv(t)
	m := e.compile("longjob")
	for _, input := range []string{"1000", "", "250\n", "0"} {
		n := uint64(1000)
		if s := strings.TrimSpace(input); s != "" {
			fmt.Sscan(s, &n)
		}
		res := e.run(m, "longjob", host.Request{Input: []byte(input)})
		if got, want := string(res.Output), fmt.Sprintf("%016x", fnv(n)); got != want {
			t.Errorf("N=%d: output %s, want %s", n, got, want)
		}
		if res.Progress != [2]int64{int64(n), int64(n)} {
			t.Errorf("N=%d: progress %v", n, res.Progress)
		}
		if n >= 100 {
			cn, done, hash := decodeCheckpoint(t, res.Checkpoint)
			if cn != n || done != n/100*100 || hash != fnv(done) {
				t.Errorf("N=%d: checkpoint (%d, %d, %x)", n, cn, done, hash)
			}
		}
	}
}

// TestLongjobFuel stops longjob partway by its fuel budget and checks that
// the checkpoint it left is a consistent point to resume from.
func TestLongjobFuel(t *testing.T) {
	e := newEnv(t)
	m := e.compile("longjob")
	full := e.run(m, "longjob", host.Request{Input: []byte("1000")})
	res, err := e.rt.Run(context.Background(), m, host.Request{
		Input:     []byte("1000"),
		Namespace: "longjob",
		Limits:    host.Limits{Fuel: full.FuelUsed / 2},
	})
	var fe *host.FuelError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v, want a *host.FuelError", err)
	}
	if done := res.Progress[0]; done <= 0 || done >= 1000 || res.Progress[1] != 1000 {
		t.Errorf("progress %v, want partway", res.Progress)
	}
	n, done, hash := decodeCheckpoint(t, res.Checkpoint)
	if n != 1000 || done == 0 || done%100 != 0 || done > uint64(res.Progress[0]) || hash != fnv(done) {
		t.Errorf("checkpoint (%d, %d, %x), progress %v", n, done, hash, res.Progress)
	}
}

func TestSHA256(t *testing.T) {
	e := newEnv(t)
	m := e.compile("sha256")
	if !m.Pure() {
		t.Error("sha256 is not declared pure")
	}
	block := strings.Repeat("0123456789abcdef", 9) // 144 bytes: crosses block boundaries
	for _, tt := range []struct {
		repeat int
		text   string
	}{
		{0, ""}, {1, ""}, {1, "abc"}, {3, "abc"}, {1, "a:b"}, {1000, "hello world"},
		{1, strings.Repeat("x", 55)}, {1, strings.Repeat("x", 56)}, {1, strings.Repeat("x", 64)},
		{7, block}, {100000, "NexusTask"},
	} {
		input := fmt.Sprintf("%d:%s", tt.repeat, tt.text)
		sum := sha256.Sum256([]byte(strings.Repeat(tt.text, tt.repeat)))
		res := e.run(m, "sha256", host.Request{Input: []byte(input)})
		if got, want := string(res.Output), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%.40q: output %s, want %s", input, got, want)
		}
	}
	for _, input := range []string{"", "abc", "x:abc", "-1:abc"} {
		_, err := e.rt.Run(context.Background(), m, host.Request{Input: []byte(input)})
		var te *host.TaskError
		if !errors.As(err, &te) || !strings.HasPrefix(te.Message, "input: ") {
			t.Errorf("%q: error %v, want a task error about the input", input, err)
		}
	}
}
