package fuel_test

import (
	"runtime"
	"testing"

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
// and report fuel per run and fuel per CPU nanosecond. Compare the modes
// with benchstat -col /mode (see bench/RESULTS.md).
func BenchmarkKernel(b *testing.B) {
	eachKernel(b, true, func(b *testing.B, k *kernelRunner, kernel, n string) {
		b.Run("mode=plain", func(b *testing.B) {
			cpu := startCPU(b)
			for i := 0; i < b.N; i++ {
				if _, _, err := k.run(b, nil, kernel, n); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report()
		})
		b.Run("mode=metered", func(b *testing.B) {
			var used int64
			cpu := startCPU(b)
			for i := 0; i < b.N; i++ {
				var err error
				if _, used, err = k.run(b, newMeter(unlimited, 1e6), kernel, n); err != nil {
					b.Fatal(err)
				}
			}
			ns := cpu.report()
			b.ReportMetric(float64(used), "fuel/op")
			if ns > 0 {
				b.ReportMetric(float64(used)/ns, "fuel/cpu-ns")
			}
		})
	})
}

// eachKernel runs f as the sub-benchmark kernel=<lang>-<name> of every
// bench kernel (the init one only if withInit), with the runner of its
// guest, compiled once per guest, and the kernel name and argument to run.
func eachKernel(b *testing.B, withInit bool, f func(b *testing.B, k *kernelRunner, kernel, n string)) {
	runners := map[string]*kernelRunner{}
	for _, kc := range benchKernels {
		kernel, lang := kc.name, "go"
		if kernel == "init" {
			if !withInit {
				continue
			}
			kernel = "fib"
		}
		if kc.file == ckernelsWasm {
			lang = "c"
		}
		k := runners[kc.file]
		if k == nil {
			k = newKernelRunnerFor(b, kc.file)
			runners[kc.file] = k
		}
		b.Run("kernel="+lang+"-"+kc.name, func(b *testing.B) { f(b, k, kernel, kc.n) })
	}
}

// cpuClock measures the CPU time of a benchmark's own thread. On a machine
// shared with other work, wall time per op (sec/op) absorbs every moment
// the thread waited for a core; CPU time per op (cpu-ns/op) does not, and
// is the figure to compare plain and metered runs by.
type cpuClock struct {
	b     *testing.B
	start int64
}

// startCPU locks the benchmark to its thread (the guest runs on the
// calling goroutine) and starts counting.
func startCPU(b *testing.B) cpuClock {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	b.ResetTimer()
	return cpuClock{b, threadCPU()}
}

// report adds cpu-ns/op and returns it (0 where it cannot be read).
func (c cpuClock) report() float64 {
	end := threadCPU()
	if c.start < 0 || end < 0 {
		return 0
	}
	ns := float64(end-c.start) / float64(c.b.N)
	c.b.ReportMetric(ns, "cpu-ns/op")
	return ns
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

// BenchmarkOverhead runs each kernel plain and metered alternately, one
// run each per iteration on the same thread, and reports the ratio of
// their CPU times (metered/plain) along with each one's CPU time per run.
// Alternating makes both modes share whatever else the machine is doing,
// so the ratio stays meaningful on a busy machine where BenchmarkKernel's
// separate wall-clock figures do not. The geometric mean of the ratios
// over the kernels is the overhead figure in bench/RESULTS.md.
func BenchmarkOverhead(b *testing.B) {
	eachKernel(b, false, func(b *testing.B, k *kernelRunner, kernel, n string) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if threadCPU() < 0 {
			b.Skip("no per-thread CPU time on this platform")
		}
		var plain, metered int64
		for i := 0; i < b.N; i++ {
			t0 := threadCPU()
			if _, _, err := k.run(b, nil, kernel, n); err != nil {
				b.Fatal(err)
			}
			t1 := threadCPU()
			if _, _, err := k.run(b, newMeter(unlimited, 1e6), kernel, n); err != nil {
				b.Fatal(err)
			}
			t2 := threadCPU()
			plain += t1 - t0
			metered += t2 - t1
		}
		b.ReportMetric(float64(metered)/float64(plain), "metered/plain")
		b.ReportMetric(float64(plain)/float64(b.N), "plain-cpu-ns/op")
		b.ReportMetric(float64(metered)/float64(b.N), "metered-cpu-ns/op")
	})
}
