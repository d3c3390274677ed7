package host

import (
	"io"
	"math/rand"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// The deterministic clocks and random source a task gets without grants are
// wazero's defaults: a wall clock starting at 2022-01-01T00:00:00Z and a
// monotonic clock starting at 0, each advancing 1 ms per reading, and
// math/rand seeded with 42. A snapshot records how far initialisation
// advanced each of them, and a task started from the snapshot continues
// them from there, so that it reads exactly what it would have read had it
// run the initialisation itself.
const (
	fakeEpochNanos = 1640995200000 * int64(time.Millisecond)
	fakeClockStep  = int64(time.Millisecond)
	fakeRandSeed   = 42
)

// detSources are the deterministic clocks and random source of one
// instance, continuing from the readings already made.
type detSources struct {
	wallReads atomic.Int64
	nanoReads atomic.Int64
	rand      detRand
}

// newDetSources returns sources that have already been read wall, nano
// times and randBytes bytes.
func newDetSources(wall, nano, randBytes int64) *detSources {
	d := &detSources{}
	d.wallReads.Store(wall)
	d.nanoReads.Store(nano)
	d.rand.skip = randBytes
	return d
}

func (d *detSources) walltime() (int64, int32) {
	t := fakeEpochNanos + (d.wallReads.Add(1)-1)*fakeClockStep
	return t / 1e9, int32(t % 1e9)
}

func (d *detSources) nanotime() int64 { return (d.nanoReads.Add(1) - 1) * fakeClockStep }

// configure sets cfg's clocks and random source to d, with wazero's default
// resolutions.
func (d *detSources) configure(cfg wazero.ModuleConfig) wazero.ModuleConfig {
	return cfg.WithWalltime(d.walltime, sys.ClockResolution(time.Microsecond)).
		WithNanotime(d.nanotime, sys.ClockResolution(1)).
		WithRandSource(&d.rand)
}

// withUnreadSources sets cfg's clocks and random source to constant ones,
// for instances of modules that do not read them (readsSources): without
// any, wazero would build its default deterministic ones for every
// instance, a seeded math/rand state among them.
func withUnreadSources(cfg wazero.ModuleConfig) wazero.ModuleConfig {
	return cfg.WithWalltime(func() (int64, int32) { return fakeEpochNanos / 1e9, 0 }, sys.ClockResolution(time.Microsecond)).
		WithNanotime(func() int64 { return 0 }, sys.ClockResolution(1)).
		WithRandSource(zeroReader{})
}

// zeroReader reads zeros.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// readsSources reports whether imports include a WASI function that reads
// the clocks or the random source a ModuleConfig sets; a module without
// one runs the same whatever they are.
func readsSources(imports []Import) bool {
	for _, imp := range imports {
		if imp.Module != wasi_snapshot_preview1.ModuleName {
			continue
		}
		switch imp.Name {
		case "clock_time_get", "clock_res_get", "random_get", "poll_oneoff":
			return true
		}
	}
	return false
}

// detRand is wazero's default random source, created on first use (most
// tasks never read it, and creating it costs a 5 KiB allocation) and
// advanced past the bytes read before the snapshot.
type detRand struct {
	skip int64
	r    *rand.Rand
	read int64
}

// Read implements io.Reader.
func (d *detRand) Read(p []byte) (int, error) {
	if d.r == nil {
		d.r = rand.New(rand.NewSource(fakeRandSeed))
		if d.skip > 0 {
			if _, err := io.CopyN(io.Discard, d.r, d.skip); err != nil {
				return 0, err
			}
		}
	}
	n, err := d.r.Read(p)
	d.read += int64(n)
	return n, err
}
