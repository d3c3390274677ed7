package host

import (
	"errors"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
)

// Defaults for Limits and Config.
const (
	DefaultMemoryBytes = 64 << 20
	DefaultTimeout     = 30 * time.Second
	DefaultOutputBytes = 16 << 20
	DefaultLogBytes    = 64 << 10
	// DefaultMaxMemoryBytes is the largest memory quota a task may ask for
	// when Config.Max.MemoryBytes is zero: the most a 32-bit Wasm memory
	// can hold.
	DefaultMaxMemoryBytes = 4 << 30
	// TableElementBytes is what one table element costs the host: wazero
	// keeps each as an 8-byte reference. A task's table-element limit
	// defaults to its memory quota divided by it.
	TableElementBytes = 8
	// DefaultSnapshotFuel is the fuel budget of a snapshot's
	// initialisation (Config.SnapshotFuel): about a second of compute.
	DefaultSnapshotFuel = 1_000_000_000
	// DefaultSnapshotTimeout is the deadline of a snapshot's
	// initialisation (Config.SnapshotTimeout).
	DefaultSnapshotTimeout = 2 * time.Second
)

// Config configures a Runtime. The zero value is usable: no on-disk
// compilation cache and the default limits.
type Config struct {
	// CacheDir, if set, holds wazero's compiled code so that a restart does
	// not recompile modules. It is created if missing.
	CacheDir string
	// Defaults are the limits a task gets when its request leaves one zero.
	Defaults Limits
	// Max caps what a request may ask for (a request above it fails with
	// a *LimitError); zero fields mean no cap, except MemoryBytes, where
	// zero means DefaultMaxMemoryBytes, and TableElements, where zero means
	// Max.MemoryBytes / TableElementBytes. Max.MemoryBytes is also the
	// server-wide memory ceiling of uploads: Prepare refuses a module
	// whose memory minimum exceeds it, or whose tables' minimums exceed
	// Max.TableElements.
	Max Limits
	// SliceFuel is the fuel run between two slice boundaries; 0 means
	// DefaultSliceFuel. Smaller slices check deadlines and preempt sooner
	// and cost more host calls.
	SliceFuel int64
	// KV backs the kv imports; nil makes them answer ERR_DENIED.
	KV KV
	// ScratchDir is where scratch directories are made; "" means the
	// system's temporary directory.
	ScratchDir string
	// KVNamespaceBytes caps each module's kv keys and values together; 0
	// means DefaultKVNamespaceBytes.
	KVNamespaceBytes int64
	// WarmIdle caps the idle warm instances kept per module and name (see
	// IsolationWarm); 0 means DefaultWarmIdle.
	WarmIdle int
	// ReadyInstances, if positive, keeps fresh instances of each module and
	// name ready ahead of demand, made in the background: each 100 ms the
	// pool aims to hold as many as tasks wanted in the previous 100 ms, up
	// to ReadyInstances. Only tasks without grants and with the default
	// memory quota take them. 0 turns the pool off.
	ReadyInstances int
	// ReadyBytes caps the linear memory of all ready instances together,
	// and of the idle reset instances with them; 0 means DefaultReadyBytes.
	ReadyBytes int64
	// NoReset turns instance reset off: every fresh-isolation task then
	// gets a new instance. By default a fresh-isolation task without
	// grants runs, where that is provably equivalent, in an
	// instance an earlier task ran in, reset to the state right after
	// initialisation, which it cannot tell from a new one (RATIONALE.md,
	// "Instance reset").
	NoReset bool
	// ResetIdle caps the idle reset instances kept per module and name; 0
	// means DefaultResetIdle.
	ResetIdle int
	// SnapshotFuel is the fuel budget of the initialisation Snapshot runs;
	// 0 means DefaultSnapshotFuel. An initialisation that needs more is not
	// snapshotted (its tasks run it themselves, under their own budget),
	// so an upload never waits longer than this much compute for it.
	SnapshotFuel int64
	// SnapshotTimeout is the deadline of the initialisation Snapshot runs;
	// 0 means DefaultSnapshotTimeout. Past it the module is not
	// snapshotted.
	SnapshotTimeout time.Duration
}

// DefaultConfig returns a Config with the documented defaults.
func DefaultConfig() Config {
	return Config{
		Defaults: DefaultLimits(),
		Max: Limits{
			MemoryBytes: DefaultMaxMemoryBytes,
			Timeout:     15 * time.Minute,
			OutputBytes: 256 << 20,
			LogBytes:    1 << 20,
			Fuel:        1_000_000_000_000,
		},
		SliceFuel:       DefaultSliceFuel,
		SnapshotFuel:    DefaultSnapshotFuel,
		SnapshotTimeout: DefaultSnapshotTimeout,
	}
}

// Validate reports whether c is usable.
func (c Config) Validate() error {
	if c.Defaults.negative() {
		return errors.New("host: default limits must not be negative")
	}
	if c.Max.negative() {
		return errors.New("host: maximum limits must not be negative")
	}
	if c.SliceFuel < 0 {
		return errors.New("host: SliceFuel must not be negative")
	}
	if c.ReadyInstances < 0 || c.ReadyBytes < 0 || c.WarmIdle < 0 || c.ResetIdle < 0 {
		return errors.New("host: ReadyInstances, ReadyBytes, WarmIdle and ResetIdle must not be negative")
	}
	if c.SnapshotFuel < 0 || c.SnapshotTimeout < 0 {
		return errors.New("host: SnapshotFuel and SnapshotTimeout must not be negative")
	}
	if err := c.Defaults.withDefaults(DefaultLimits()).check(c.Max.resolveMax()); err != nil {
		return fmt.Errorf("host: default limits above the maximum: %w", err)
	}
	return nil
}

// Limits bound one task. Zero fields take the runtime's defaults.
type Limits struct {
	// MemoryBytes is the linear-memory quota. A module whose minimum memory
	// exceeds it is refused; growth past it fails as memory.grow → -1.
	MemoryBytes int64
	// Timeout is the wall-clock deadline of the task.
	Timeout time.Duration
	// OutputBytes caps stdout (wasi-command) or output_write (nexus-v1).
	OutputBytes int64
	// LogBytes caps the captured stderr and log lines; later lines are dropped.
	LogBytes int64
	// Fuel is the task's fuel budget: about one unit per Wasm instruction.
	Fuel int64
	// TableElements caps the elements of all the task's tables together
	// (each costs the host TableElementBytes); zero means MemoryBytes /
	// TableElementBytes. A module whose tables' minimums exceed it is
	// refused (ErrMemoryLimit); growth past it fails as table.grow → -1,
	// reported as ErrMemoryLimit when the task then traps.
	TableElements int64
}

// DefaultLimits returns the documented default limits.
func DefaultLimits() Limits {
	return Limits{
		MemoryBytes: DefaultMemoryBytes,
		Timeout:     DefaultTimeout,
		OutputBytes: DefaultOutputBytes,
		LogBytes:    DefaultLogBytes,
		Fuel:        DefaultFuel,
	}
}

// withDefaults fills zero fields of l from d.
func (l Limits) withDefaults(d Limits) Limits {
	if l.MemoryBytes == 0 {
		l.MemoryBytes = d.MemoryBytes
	}
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	if l.OutputBytes == 0 {
		l.OutputBytes = d.OutputBytes
	}
	if l.LogBytes == 0 {
		l.LogBytes = d.LogBytes
	}
	if l.Fuel == 0 {
		l.Fuel = d.Fuel
	}
	if l.TableElements == 0 {
		l.TableElements = d.TableElements
	}
	return l
}

// tableElements returns the table-element limit of l: TableElements, or
// the one derived from the memory quota, at most max (if positive).
func (l Limits) tableElements(max int64) int64 {
	if l.TableElements != 0 {
		return l.TableElements
	}
	if d := l.MemoryBytes / TableElementBytes; max <= 0 || d < max {
		return d
	}
	return max
}

// negative reports whether a field of l is negative.
func (l Limits) negative() bool {
	return l.MemoryBytes < 0 || l.OutputBytes < 0 || l.LogBytes < 0 || l.Timeout < 0 ||
		l.Fuel < 0 || l.TableElements < 0
}

// resolveMax returns l, as Config.Max, with its zero MemoryBytes and
// TableElements replaced by what they mean.
func (l Limits) resolveMax() Limits {
	if l.MemoryBytes == 0 {
		l.MemoryBytes = DefaultMaxMemoryBytes
	}
	l.TableElements = l.tableElements(0)
	return l
}

// LimitError reports a requested limit above the runtime's maximum
// (Config.Max). It is the request's fault, not the module's. Name is the
// limit: "memory", "timeout", "output", "log", "fuel" or "table elements".
// It is errkind.LimitError.
type LimitError = errkind.LimitError

// check returns a *LimitError if l asks for more than max allows.
func (l Limits) check(max Limits) error {
	switch {
	case max.MemoryBytes > 0 && l.MemoryBytes > max.MemoryBytes:
		return &LimitError{Name: "memory", Requested: l.MemoryBytes, Max: max.MemoryBytes}
	case max.Timeout > 0 && l.Timeout > max.Timeout:
		return &LimitError{Name: "timeout", Requested: int64(l.Timeout), Max: int64(max.Timeout)}
	case max.OutputBytes > 0 && l.OutputBytes > max.OutputBytes:
		return &LimitError{Name: "output", Requested: l.OutputBytes, Max: max.OutputBytes}
	case max.LogBytes > 0 && l.LogBytes > max.LogBytes:
		return &LimitError{Name: "log", Requested: l.LogBytes, Max: max.LogBytes}
	case max.Fuel > 0 && l.Fuel > max.Fuel:
		return &LimitError{Name: "fuel", Requested: l.Fuel, Max: max.Fuel}
	case max.TableElements > 0 && l.TableElements > max.TableElements:
		return &LimitError{Name: "table elements", Requested: l.TableElements, Max: max.TableElements}
	}
	return nil
}
