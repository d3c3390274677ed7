package fuel_test

import (
	"bytes"
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
			// The name section is stripped for the same reason: wazero
			// spends seconds on a 75-byte one declaring 2^28 names.
			// Instrument rewrites or drops it, so the output's is sound.
			return
		}
		if validate(stripNames(in)) != nil {
			return
		}
		if err := validate(out); err != nil {
			t.Fatalf("valid input, invalid output: %v", err)
		}
	})
}

// stripNames returns a well-formed module without its name section.
func stripNames(m []byte) []byte {
	out := append([]byte(nil), m[:8]...)
	for p := 8; p < len(m); {
		size, n := uleb(m[p+1:])
		end := p + 1 + n + int(size)
		if m[p] != 0 || !bytes.HasPrefix(m[p+1+n:end], []byte("\x04name")) {
			out = append(out, m[p:end]...)
		}
		p = end
	}
	return out
}
