package host

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for Limits and Config.
const (
	DefaultMemoryBytes = 64 << 20
	DefaultTimeout     = 30 * time.Second
	DefaultOutputBytes = 16 << 20
	DefaultLogBytes    = 64 << 10
)

// Config configures a Runtime. The zero value is usable: no on-disk
// compilation cache and the default limits.
type Config struct {
	// CacheDir, if set, holds wazero's compiled code so that a restart does
	// not recompile modules. It is created if missing.
	CacheDir string
	// Defaults are the limits a task gets when its request leaves one zero.
	Defaults Limits
	// Max caps what a request may ask for; zero fields mean no cap beyond
	// the Defaults' own meaning.
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
	// ReadyBytes caps the linear memory of all ready instances together;
	// 0 means DefaultReadyBytes.
	ReadyBytes int64
}

// DefaultConfig returns a Config with the documented defaults.
func DefaultConfig() Config {
	return Config{
		Defaults: DefaultLimits(),
		Max: Limits{
			MemoryBytes: 4 << 30,
			Timeout:     15 * time.Minute,
			OutputBytes: 256 << 20,
			LogBytes:    1 << 20,
			Fuel:        1_000_000_000_000,
		},
		SliceFuel: DefaultSliceFuel,
	}
}

// Validate reports whether c is usable.
func (c Config) Validate() error {
	if c.Defaults.MemoryBytes < 0 || c.Defaults.OutputBytes < 0 || c.Defaults.LogBytes < 0 ||
		c.Defaults.Timeout < 0 || c.Defaults.Fuel < 0 {
		return errors.New("host: default limits must not be negative")
	}
	if c.SliceFuel < 0 {
		return errors.New("host: SliceFuel must not be negative")
	}
	if c.ReadyInstances < 0 || c.ReadyBytes < 0 || c.WarmIdle < 0 {
		return errors.New("host: ReadyInstances, ReadyBytes and WarmIdle must not be negative")
	}
	if err := c.Defaults.withDefaults(DefaultLimits()).check(c.Max); err != nil {
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
	return l
}

// LimitError reports a requested limit above the runtime's maximum.
type LimitError struct {
	Name      string
	Requested int64
	Max       int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("host: requested %s %d exceeds the server maximum %d", e.Name, e.Requested, e.Max)
}

// check returns a *LimitError if l asks for more than max allows.
func (l Limits) check(max Limits) error {
	switch {
	case max.MemoryBytes > 0 && l.MemoryBytes > max.MemoryBytes:
		return &LimitError{"memory", l.MemoryBytes, max.MemoryBytes}
	case max.Timeout > 0 && l.Timeout > max.Timeout:
		return &LimitError{"timeout", int64(l.Timeout), int64(max.Timeout)}
	case max.OutputBytes > 0 && l.OutputBytes > max.OutputBytes:
		return &LimitError{"output", l.OutputBytes, max.OutputBytes}
	case max.LogBytes > 0 && l.LogBytes > max.LogBytes:
		return &LimitError{"log", l.LogBytes, max.LogBytes}
	case max.Fuel > 0 && l.Fuel > max.Fuel:
		return &LimitError{"fuel", l.Fuel, max.Fuel}
	}
	return nil
}
