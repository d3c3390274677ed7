package snapshot

import (
	"io"
	"math/rand"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
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

// Sources are the deterministic clocks and random source of one
// instance, continuing from the readings already made.
type Sources struct {
	wallReads atomic.Int64
	nanoReads atomic.Int64
	rand      detRand
}

// NewSources returns sources that have already been read wall, nano
// times and randBytes bytes.
func NewSources(wall, nano, randBytes int64) *Sources {
	d := &Sources{}
	d.wallReads.Store(wall)
	d.nanoReads.Store(nano)
	d.rand.skip = randBytes
	return d
}

func (d *Sources) walltime() (int64, int32) {
	t := fakeEpochNanos + (d.wallReads.Add(1)-1)*fakeClockStep
	return t / 1e9, int32(t % 1e9)
}

func (d *Sources) nanotime() int64 { return (d.nanoReads.Add(1) - 1) * fakeClockStep }

// Reset makes d as if NewSources(wall, nano, randBytes) had just made
// it: the next readings are those a new instance would make. It must not
// run while d is being read.
func (d *Sources) Reset(wall, nano, randBytes int64) {
	d.wallReads.Store(wall)
	d.nanoReads.Store(nano)
	if d.rand.r == nil && d.rand.skip == randBytes {
		return // never read: nothing to undo
	}
	d.rand = detRand{skip: randBytes}
}

// Reads returns how far d has been read: the wall and monotonic clock
// readings and the random bytes, counting those NewSources started from.
// A snapshot records them; NewSources continues from them.
func (d *Sources) Reads() (wall, nano, randBytes int64) {
	return d.wallReads.Load(), d.nanoReads.Load(), d.rand.skip + d.rand.read
}

// Configure sets cfg's clocks and random source to d, with wazero's default
// resolutions.
func (d *Sources) Configure(cfg wazero.ModuleConfig) wazero.ModuleConfig {
	return cfg.WithWalltime(d.walltime, sys.ClockResolution(time.Microsecond)).
		WithNanotime(d.nanotime, sys.ClockResolution(1)).
		WithRandSource(&d.rand)
}

// UnreadSources sets cfg's clocks and random source to constant ones,
// for instances of modules that do not read them (the host's readsSources): without
// any, wazero would build its default deterministic ones for every
// instance, a seeded math/rand state among them.
func UnreadSources(cfg wazero.ModuleConfig) wazero.ModuleConfig {
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
