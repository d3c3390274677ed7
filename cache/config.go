package cache

import "fmt"

// DefaultMaxBytes is the default bound on the bytes the cache holds.
const DefaultMaxBytes = 256 << 20

// EntryOverhead is the cost charged for each entry on top of its output,
// key, module name and tags: an estimate of the entry's bookkeeping in
// ristretto and in the cache's index.
const EntryOverhead = 256

// Counter bounds for a derived Config.Counters.
const (
	minCounters = 1 << 12
	maxCounters = 1 << 22
)

// Config configures a Cache. The zero value is usable.
type Config struct {
	// MaxBytes bounds the total cost of the entries held, where an entry
	// costs its output bytes plus its key, module name, tags and
	// EntryOverhead. 0 means DefaultMaxBytes.
	MaxBytes int64
	// Counters is the number of frequency counters of the TinyLFU admission
	// policy (ristretto's NumCounters, about 10 per entry the cache can
	// hold). 0 derives it from MaxBytes: one per 256 bytes, between 4096 and
	// 4194304.
	Counters int64
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config { return Config{MaxBytes: DefaultMaxBytes} }

// Validate reports whether c is usable.
func (c Config) Validate() error {
	if c.MaxBytes < 0 {
		return fmt.Errorf("cache: MaxBytes %d is negative", c.MaxBytes)
	}
	if c.Counters < 0 {
		return fmt.Errorf("cache: Counters %d is negative", c.Counters)
	}
	return nil
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.Counters == 0 {
		c.Counters = min(max(c.MaxBytes/256, minCounters), maxCounters)
	}
	return c
}
