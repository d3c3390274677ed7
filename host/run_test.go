package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
)

func newRuntime(t testing.TB, cfg host.Config) *host.Runtime {
	t.Helper()
	rt, err := host.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

func compileFile(t testing.TB, rt *host.Runtime, path string) *host.Module {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Compile(context.Background(), wasm, nil)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return m
}

func TestRunEcho(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	for _, path := range []string{"../examples/wat/echo.wasm", "../examples/go/echo/echo.wasm"} {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			m := compileFile(t, rt, path)
			if m.Profile() != abi.ProfileWASICommand {
				t.Fatalf("profile = %s", m.Profile())
			}
			input := bytes.Repeat([]byte("hello, nexus "), 20000) // > one 64 KiB chunk
			res, err := rt.Run(context.Background(), m, host.Request{Input: input})
			if err != nil {
				t.Fatalf("run: %v (logs %q)", err, res.Logs)
			}
			if !bytes.Equal(res.Output, input) {
				t.Fatalf("output %d bytes, want %d", len(res.Output), len(input))
			}
		})
	}
}

func TestRunNexusProfile(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/nexus_echo.wasm")
	if m.Profile() != abi.ProfileNexusV1 {
		t.Fatalf("profile = %s", m.Profile())
	}
	res, err := rt.Run(context.Background(), m, host.Request{Input: []byte("hello")})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Output) != "HELLO" {
		t.Fatalf("output %q", res.Output)
	}
	if string(res.Logs) != "info: upper-casing\n" {
		t.Fatalf("logs %q", res.Logs)
	}
	_, err = rt.Run(context.Background(), m, host.Request{Input: []byte("fail")})
	var te *host.TaskError
	if !errors.As(err, &te) || te.Code != 1 || te.Message != "asked to fail" {
		t.Fatalf("err = %v, want TaskError{1, asked to fail}", err)
	}
}

func TestRunFailures(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	tests := []struct {
		file   string
		limits host.Limits
		check  func(error) bool
		want   string
	}{
		{"loop.wasm", host.Limits{Timeout: 200 * time.Millisecond}, func(err error) bool { return errors.Is(err, host.ErrTimeout) }, "timeout"},
		{"grow.wasm", host.Limits{MemoryBytes: 4 << 20}, func(err error) bool { return errors.Is(err, host.ErrMemoryLimit) }, "memory limit"},
		{"bigmem.wasm", host.Limits{}, func(err error) bool { return errors.Is(err, host.ErrMemoryLimit) }, "memory limit"},
		{"flood.wasm", host.Limits{OutputBytes: 1 << 20}, func(err error) bool { return errors.Is(err, host.ErrOutputLimit) }, "output limit"},
		{"exit3.wasm", host.Limits{}, func(err error) bool {
			var ee *host.ExitError
			return errors.As(err, &ee) && ee.Code == 3
		}, "exit 3"},
		{"trap.wasm", host.Limits{}, func(err error) bool {
			var te *host.TrapError
			return errors.As(err, &te) && strings.Contains(te.Message, "divide by zero")
		}, "trap"},
		{"oob.wasm", host.Limits{}, func(err error) bool {
			var te *host.TrapError
			return errors.As(err, &te) && strings.Contains(te.Message, "output_write: memory range [65000, 66000)")
		}, "out-of-range trap"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := compileFile(t, rt, filepath.Join("testdata", tt.file))
			res, err := rt.Run(context.Background(), m, host.Request{Limits: tt.limits})
			if !tt.check(err) {
				t.Fatalf("err = %v (%T), want %s", err, err, tt.want)
			}
			if res == nil {
				t.Fatal("nil result on failure")
			}
		})
	}
	t.Run("exit3 logs", func(t *testing.T) {
		m := compileFile(t, rt, "testdata/exit3.wasm")
		res, _ := rt.Run(context.Background(), m, host.Request{})
		if string(res.Logs) != "something went wrong\n" {
			t.Fatalf("logs %q", res.Logs)
		}
	})
}

func TestCompileRejects(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	echo, _ := os.ReadFile("../examples/wat/echo.wasm")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		wasm []byte
		want string
	}{
		{"empty", nil, "not a WebAssembly module"},
		{"random", []byte("this is not wasm at all"), "not a WebAssembly module"},
		{"truncated", echo[:len(echo)-40], "truncated"},
		{"version", append([]byte("\x00asm\x02\x00\x00\x00"), echo[8:]...), "version"},
		{"no profile", read("noprofile.wasm"), "neither _start"},
		{"bad import", read("badimport.wasm"), "env.open is outside"},
		{"reserved export", read("reserved.wasm"), "reserved prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rt.Compile(context.Background(), tt.wasm, nil)
			if !errors.Is(err, host.ErrInvalidModule) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want invalid module mentioning %q", err, tt.want)
			}
		})
	}
}

func TestLimitsAboveMaximum(t *testing.T) {
	cfg := host.DefaultConfig()
	cfg.Max.Timeout = time.Second
	if _, err := host.New(context.Background(), cfg); err == nil {
		t.Fatal("default timeout above the maximum was accepted")
	}
	cfg.Defaults.Timeout = time.Second
	rt := newRuntime(t, cfg)
	m := compileFile(t, rt, "../examples/wat/echo.wasm")
	_, err := rt.Run(context.Background(), m, host.Request{Limits: host.Limits{Timeout: time.Minute}})
	var le *host.LimitError
	if !errors.As(err, &le) || le.Name != "timeout" {
		t.Fatalf("err = %v, want LimitError(timeout)", err)
	}
}

func TestRunConcurrent(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "../examples/wat/echo.wasm")
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := []byte(fmt.Sprintf("task %d", i))
			res, err := rt.Run(context.Background(), m, host.Request{Input: in})
			if err == nil && !bytes.Equal(res.Output, in) {
				err = fmt.Errorf("task %d: output %q", i, res.Output)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestModuleCloseWaitsAndRefuses(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "../examples/wat/echo.wasm")
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Run(context.Background(), m, host.Request{}); !errors.Is(err, host.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

// TestConfigRefusesNegative: a negative count or bound in the runtime's
// configuration is refused by New rather than read as "off".
func TestConfigRefusesNegative(t *testing.T) {
	for name, set := range map[string]func(*host.Config){
		"SliceFuel":      func(c *host.Config) { c.SliceFuel = -1 },
		"ReadyInstances": func(c *host.Config) { c.ReadyInstances = -1 },
		"ReadyBytes":     func(c *host.Config) { c.ReadyBytes = -1 },
		"WarmIdle":       func(c *host.Config) { c.WarmIdle = -1 },
	} {
		cfg := host.DefaultConfig()
		set(&cfg)
		if rt, err := host.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), name) {
			if rt != nil {
				rt.Close(context.Background())
			}
			t.Errorf("%s = -1: %v", name, err)
		}
	}
}

// TestStdioConcurrent runs a wasi-command echo from many goroutines: the
// instances' stdio configurations are pooled and reused, and every task
// must read its own input and write its own output.
func TestStdioConcurrent(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "../examples/wat/echo.wasm")
	concurrently(t, 8, func(g int) error {
		for i := 0; i < 50; i++ {
			in := bytes.Repeat([]byte(fmt.Sprintf("g%d-i%d;", g, i)), 1+i%7)
			res, err := rt.Run(context.Background(), m, host.Request{Input: in, Namespace: "s"})
			if err == nil && !bytes.Equal(res.Output, in) {
				err = fmt.Errorf("input %q, output %q", in, res.Output)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// concurrently runs f(0) to f(n-1) on goroutines of their own and reports
// the errors they return.
func concurrently(t *testing.T, n int, f func(g int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := 0; g < n; g++ {
		wg.Go(func() {
			if err := f(g); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
