package fuel_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

var (
	validatorOnce sync.Once
	validator     wazero.Runtime
)

// validate reports whether wazero accepts bin with WebAssembly 2.0 features.
func validate(bin []byte) error {
	validatorOnce.Do(func() {
		validator = wazero.NewRuntimeWithConfig(context.Background(),
			wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	})
	c, err := validator.CompileModule(context.Background(), bin)
	if err == nil {
		c.Close(context.Background())
	}
	return err
}

// fuzzing reports whether the test binary runs with -test.fuzz.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// FuzzInstrument checks that Instrument never panics and that whenever it
// accepts an input wazero accepts, wazero accepts the output too. When fuzzing, every
// module of the spec suite seeds the corpus.
func FuzzInstrument(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/wat/*.wasm")
	if fuzzing() {
		if dir := wazeroDir(); dir != "" {
			for _, v := range []string{"v1", "v2"} {
				more, _ := filepath.Glob(filepath.Join(dir, "internal", "integration_test", "spectest", v, "testdata", "*.wasm"))
				seeds = append(seeds, more...)
			}
		}
	}
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if fuzzing() { // report a stuck input instead of a bare "hung"
			stuck := time.AfterFunc(60*time.Second, func() {
				os.WriteFile(filepath.Join(os.TempDir(), "fuel-fuzz-stuck.wasm"), in, 0o644)
				panic("input takes over 60s")
			})
			defer stuck.Stop()
		}
		out, err := fuel.Instrument(in, fuel.Config{MaxCallDepth: 100})
		if err != nil {
			// wazero's decoder trusts declared counts (a 51-byte module can
			// make it allocate tens of gigabytes), so only inputs Instrument
			// accepted, whose counts it bounded, are shown to wazero. The
			// spec-suite parity test shows valid modules are accepted.
			return
		}
		if validate(in) != nil {
			return
		}
		if err := validate(out); err != nil {
			t.Fatalf("valid input, invalid output: %v", err)
		}
	})
}
