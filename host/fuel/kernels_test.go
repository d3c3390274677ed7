package fuel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// The kernel guests: Go-compiled from testdata/kernels and C-compiled from
// testdata/ckernels, both wasi-commands taking <kernel> <n>.
const (
	kernelsWasm  = "kernels.wasm"
	ckernelsWasm = "ckernels.wasm"
)

// kernelRunner runs the kernels guest, plain or instrumented, in one runtime.
type kernelRunner struct {
	r                   wazero.Runtime
	plain, instrumented wazero.CompiledModule
}

// kernelGuest is a kernel guest's bytes, plain and instrumented once.
type kernelGuest struct {
	once        sync.Once
	plain, inst []byte
}

var kernelGuests = map[string]*kernelGuest{kernelsWasm: {}, ckernelsWasm: {}}

// newKernelRunner compiles the Go kernels guest.
func newKernelRunner(t testing.TB) *kernelRunner { return newKernelRunnerFor(t, kernelsWasm) }

// newKernelRunnerFor compiles the kernel guest in testdata/file.
func newKernelRunnerFor(t testing.TB, file string) *kernelRunner {
	t.Helper()
	g := kernelGuests[file]
	g.once.Do(func() {
		g.plain = readWasm(t, file)
		g.inst = instrument(t, g.plain)
	})
	ctx := context.Background()
	r := newRuntime(t)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	k := &kernelRunner{r: r}
	var err error
	if k.plain, err = r.CompileModule(ctx, g.plain); err != nil {
		t.Fatal(err)
	}
	if k.instrumented, err = r.CompileModule(ctx, g.inst); err != nil {
		t.Fatal(err)
	}
	return k
}

// run runs one kernel to completion. With m nil the plain module runs;
// otherwise the instrumented one, metered by m, and used is the fuel used.
func (k *kernelRunner) run(t testing.TB, m *meter, args ...string) (out string, used int64, err error) {
	ctx := context.Background()
	c := k.plain
	if m != nil {
		c = k.instrumented
		ctx = withMeter(ctx, m)
	}
	var stdout, stderr bytes.Buffer
	cfg := wazero.NewModuleConfig().WithName("").WithArgs(append([]string{"kernels"}, args...)...).
		WithStdout(&stdout).WithStderr(&stderr).WithStartFunctions()
	mod, err := k.r.InstantiateModule(ctx, c, cfg)
	if err != nil {
		return "", 0, err
	}
	defer mod.Close(ctx)
	var fuelGlobal api.Global
	if m != nil {
		fuelGlobal = mod.ExportedGlobal("__nexus_fuel")
	}
	_, err = mod.ExportedFunction("_start").Call(ctx)
	var exit *sys.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 0 {
		err = nil
	}
	if err == nil && stderr.Len() > 0 {
		t.Logf("stderr: %s", stderr.String())
	}
	if m != nil {
		used = m.used(int64(fuelGlobal.Get()))
		if err == nil && used > m.budget { // the host's check after the run
			err = fmt.Errorf("%w: used %d of %d after the run", errFuelExhausted, used, m.budget)
		}
	}
	return stdout.String(), used, err
}

// TestKernels checks that the instrumented Go and C guests print what the
// plain ones print.
func TestKernels(t *testing.T) {
	for _, g := range []struct {
		file string
		runs [][]string
	}{
		{kernelsWasm, [][]string{{"sha256", "10"}, {"sort", "1000"}, {"json", "10"}, {"map", "1000"}, {"fib", "15"}, {"recurse", "100"}}},
		{ckernelsWasm, [][]string{{"sha256", "10"}, {"sort", "1000"}, {"map", "1000"}, {"fib", "15"}, {"matmul", "20"}}},
	} {
		t.Run(g.file, func(t *testing.T) { testKernels(t, newKernelRunnerFor(t, g.file), g.runs) })
	}
}

func testKernels(t *testing.T, k *kernelRunner, runs [][]string) {
	for _, args := range runs {
		want, _, err := k.run(t, nil, args...)
		if err != nil {
			t.Fatal(args, err)
		}
		got, used, err := k.run(t, newMeter(unlimited, 1e6), args...)
		if err != nil || got != want {
			t.Fatalf("%v: got %q, %v; want %q", args, got, err, want)
		}
		t.Logf("%v: %q, %d fuel", args, got, used)
	}
}
