package fuel_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

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

// FuzzInstrument checks that Instrument never panics and that whenever
// wazero accepts the input, it accepts the output too. When fuzzing, every
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
		out, err := fuel.Instrument(in, fuel.Config{MaxCallDepth: 100})
		verr := validate(in)
		if err != nil {
			if verr == nil && !errors.Is(err, fuel.ErrReservedName) {
				t.Fatalf("valid input refused: %v", err)
			}
			return
		}
		if verr != nil {
			return
		}
		if err := validate(out); err != nil {
			t.Fatalf("valid input, invalid output: %v", err)
		}
	})
}
