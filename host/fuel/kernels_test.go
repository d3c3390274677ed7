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

// kernelsWasm is the Go-compiled guest built from testdata/kernels.
const kernelsWasm = "kernels.wasm"

// kernelRunner runs the kernels guest, plain or instrumented, in one runtime.
type kernelRunner struct {
	r                   wazero.Runtime
	plain, instrumented wazero.CompiledModule
}

var (
	kernelsOnce sync.Once
	kernelsBin  []byte
	kernelsInst []byte
)

func newKernelRunner(t testing.TB) *kernelRunner {
	t.Helper()
	kernelsOnce.Do(func() {
		kernelsBin = readWasm(t, kernelsWasm)
		kernelsInst = instrument(t, kernelsBin)
	})
	ctx := context.Background()
	r := newRuntime(t)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	k := &kernelRunner{r: r}
	var err error
	if k.plain, err = r.CompileModule(ctx, kernelsBin); err != nil {
		t.Fatal(err)
	}
	if k.instrumented, err = r.CompileModule(ctx, kernelsInst); err != nil {
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

// TestKernels checks that the instrumented Go guest prints what the plain
// one prints.
func TestKernels(t *testing.T) {
	k := newKernelRunner(t)
	for _, args := range [][]string{{"sha256", "10"}, {"sort", "1000"}, {"json", "10"}, {"map", "1000"}, {"fib", "15"}, {"recurse", "100"}} {
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
