package host_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

// manyFunctions returns a nexus-v1 module with n functions of about 60
// instructions each besides nexus_run: enough code that compiling it takes
// measurable time.
func manyFunctions(n int) []byte {
	uleb := func(b []byte, v uint64) []byte {
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				b = append(b, c|0x80)
				continue
			}
			return append(b, c)
		}
	}
	section := func(out []byte, id byte, body []byte) []byte {
		return append(uleb(append(out, id), uint64(len(body))), body...)
	}
	name := func(b []byte, s string) []byte { return append(uleb(b, uint64(len(s))), s...) }

	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	out = section(out, 1, []byte{1, 0x60, 0, 1, 0x7f})     // type 0: () -> i32
	funcs := uleb(nil, uint64(n+1))                        // function section
	funcs = append(funcs, bytes.Repeat([]byte{0}, n+1)...) // all of type 0
	out = section(out, 3, funcs)
	out = section(out, 5, []byte{1, 0, 1}) // memory, min 1 page
	exports := []byte{2}
	exports = append(name(exports, "memory"), 2, 0)
	exports = append(name(exports, "nexus_run"), 0, 0)
	out = section(out, 7, exports)
	var body []byte // i32.const 1; (i32.const k; i32.add; i32.const 3; i32.mul) x15; end
	body = append(body, 0, 0x41, 1)
	for k := 0; k < 15; k++ {
		body = append(body, 0x41, byte(k), 0x6a, 0x41, 3, 0x6c)
	}
	body = append(body, 0x1a, 0x41, 0, 0x0b) // drop; i32.const 0; end
	code := uleb(nil, uint64(n+1))
	for i := 0; i <= n; i++ {
		code = append(uleb(code, uint64(len(body))), body...)
	}
	return section(out, 10, code)
}

// TestCompileHonoursContext: Prepare and Compile given a context that is
// already canceled, or whose deadline has passed, return at once: a
// canceled one with ErrCanceled (the caller has gone), an expired one with
// ErrCompileTimeout, which is an ErrInvalidModule (the module was too
// expensive to compile in the time allowed). Compile with a ready artifact
// is stopped by wazero's compiler, which checks the context between
// functions.
func TestCompileHonoursContext(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	wasm := manyFunctions(5000)
	start := time.Now()
	art, err := rt.Prepare(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	prepared := time.Since(start)
	m, err := rt.Compile(context.Background(), wasm, art)
	if err != nil {
		t.Fatal(err)
	}
	m.Close(context.Background())
	t.Logf("%d bytes: prepare %v, compile %v", len(wasm), prepared, time.Since(start)-prepared)

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	other := manyFunctions(5001) // not in wazero's in-memory cache
	otherArt, err := rt.Prepare(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]func(ctx context.Context) error{
		"prepare": func(ctx context.Context) error {
			_, err := rt.Prepare(ctx, wasm)
			return err
		},
		"compile": func(ctx context.Context) error {
			_, err := rt.Compile(ctx, wasm, nil)
			return err
		},
		"compile artifact": func(ctx context.Context) error {
			_, err := rt.Compile(ctx, other, otherArt)
			return err
		},
	}
	for name, step := range steps {
		t.Run(name, func(t *testing.T) {
			err := step(canceled)
			if !errors.Is(err, host.ErrCanceled) || !errors.Is(err, context.Canceled) || errors.Is(err, host.ErrInvalidModule) {
				t.Fatalf("canceled: err = %v, want ErrCanceled and context.Canceled only", err)
			}
			err = step(expired)
			if !errors.Is(err, host.ErrCompileTimeout) || !errors.Is(err, host.ErrInvalidModule) ||
				!strings.Contains(err.Error(), "compile timeout") {
				t.Fatalf("expired: err = %v, want ErrCompileTimeout", err)
			}
		})
	}
}

// TestCompileSurvivesDamagedCache: a compilation cache whose every file was
// damaged on disk does not keep a module from loading: the damaged entry
// is removed, the module compiled again, and it runs correctly.
func TestCompileSurvivesDamagedCache(t *testing.T) {
	dir := t.TempDir()
	cfg := host.DefaultConfig()
	cfg.CacheDir = dir
	first := newRuntime(t, cfg)
	m := compileFile(t, first, "testdata/nexus_echo.wasm")
	m.Close(context.Background())
	first.Close(context.Background())

	var damaged int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i := len(b) / 2; i < len(b)/2+8 && i < len(b); i++ {
			b[i] ^= 0xff
		}
		damaged++
		return os.WriteFile(path, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if damaged == 0 {
		t.Fatal("the cache holds no files")
	}

	second := newRuntime(t, cfg)
	m = compileFile(t, second, "testdata/nexus_echo.wasm")
	res, err := second.Run(context.Background(), m, host.Request{Input: []byte("hello")})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Output) != "HELLO" {
		t.Fatalf("output %q", res.Output)
	}
	// The entry was written again, intact: a third runtime loads it.
	third := newRuntime(t, cfg)
	compileFile(t, third, "testdata/nexus_echo.wasm")
}
