package fuel_test

import (
	"testing"
	"time"

	"github.com/nexustask/nexus/host/fuel"
)

// benchKernels are sized so that each run takes tens of milliseconds and the
// Go runtime's start-up (a few milliseconds, measured by the "init" kernel)
// does not dominate.
var benchKernels = []struct{ file, name, n string }{
	{kernelsWasm, "init", "0"}, // fib(0): Go runtime start-up and exit only
	{kernelsWasm, "sha256", "5000"},
	{kernelsWasm, "sort", "300000"},
	{kernelsWasm, "json", "3000"},
	{kernelsWasm, "map", "200000"},
	{kernelsWasm, "fib", "27"},
	{ckernelsWasm, "sha256", "5000"},
	{ckernelsWasm, "sort", "300000"},
	{ckernelsWasm, "map", "200000"},
	{ckernelsWasm, "fib", "30"},
	{ckernelsWasm, "matmul", "120"},
}

// BenchmarkKernel compares plain and metered runs of Go- and C-compiled
// kernels on the same runtime (wazero compiler, no WithCloseOnContextDone).
// Metered runs use slices of 1e6 fuel and an effectively unlimited budget,
// and report fuel per run and fuel per nanosecond. Compare the modes with
// benchstat -col /mode (see BENCH.md).
func BenchmarkKernel(b *testing.B) {
	runners := map[string]*kernelRunner{}
	for _, kc := range benchKernels {
		k := runners[kc.file]
		if k == nil {
			k = newKernelRunnerFor(b, kc.file)
			runners[kc.file] = k
		}
		kernel, lang := kc.name, "go"
		if kernel == "init" {
			kernel = "fib"
		}
		if kc.file == ckernelsWasm {
			lang = "c"
		}
		b.Run("kernel="+lang+"-"+kc.name, func(b *testing.B) {
			b.Run("mode=plain", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, _, err := k.run(b, nil, kernel, kc.n); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("mode=metered", func(b *testing.B) {
				var used int64
				start := time.Now()
				for i := 0; i < b.N; i++ {
					var err error
					if _, used, err = k.run(b, newMeter(unlimited, 1e6), kernel, kc.n); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(used), "fuel/op")
				b.ReportMetric(float64(used)*float64(b.N)/float64(time.Since(start).Nanoseconds()), "fuel/ns")
			})
		})
	}
}

// BenchmarkInstrument measures instrumenting the 3.5 MB Go-compiled guest
// and reports the output's growth.
func BenchmarkInstrument(b *testing.B) {
	in := readWasm(b, kernelsWasm)
	b.SetBytes(int64(len(in)))
	var out []byte
	for i := 0; i < b.N; i++ {
		var err error
		if out, err = fuel.Instrument(in, fuel.DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out))/float64(len(in)), "size-ratio")
	b.ReportMetric(float64(len(out)), "out-bytes")
}
