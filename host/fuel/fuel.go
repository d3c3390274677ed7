package fuel

import (
	"errors"
	"fmt"
)

// Names and versions that make up the contract between instrumented code and
// the host.
const (
	// ImportModule is the import module name of the functions the
	// instrumenter adds. A module that imports from it is refused.
	ImportModule = "nexus_fuel"

	// ImportSlice is the import called when the fuel global is negative at a
	// check: func (remaining i64) -> i64. It receives the global's value and
	// returns the new slice to store in it; a host ends the run by trapping.
	ImportSlice = "slice"

	// ImportDepth is the import called when the call depth exceeds the
	// configured limit: func () -> (). The host must trap; if it returns, the
	// guest executes unreachable.
	ImportDepth = "depth_exceeded"

	// ImportTableRoom is the import called by table.grow, after its fuel
	// charge and check and before it grows: func (total i64) -> i32. total
	// is the number of elements all of the module's tables would hold
	// after the growth (the sum of every table's size plus the requested
	// delta, unsigned). The host returns 1 to allow the growth and 0 to
	// refuse it, in which case table.grow returns -1 and grows nothing. It
	// is imported, right after ImportDepth, only by modules that contain a
	// table.grow.
	ImportTableRoom = "table_room"

	// ExportFuelGlobal is the export name of the appended mutable i64 fuel
	// global. It starts at 0; the host reads what is left after a run.
	ExportFuelGlobal = "__nexus_fuel"

	// ExportDepthGlobal is the export name of the appended mutable i32
	// call-depth global: the number of counted frames on the stack. A trap
	// leaves it high; a host that calls into an instance again after a trap
	// (the host never does; tests do) sets it back to 0 first.
	ExportDepthGlobal = "__nexus_depth"

	// ReservedPrefix starts every export name reserved for the instrumenter.
	// A module exporting such a name is refused.
	ReservedPrefix = "__nexus"

	// Version is the instrumenter version. It changes whenever the output for
	// some input changes, so instrumented artifacts can be keyed by it.
	Version = 4

	// CostTableVersion is the version of the cost table. It changes whenever
	// the fuel charged for some instruction changes.
	CostTableVersion = 1
)

// DefaultMaxCallDepth is the call-depth limit used when Config.MaxCallDepth
// is 0. A Go-compiled guest uses one WebAssembly frame per Go call, so the
// limit must leave room for honest recursion; it must also stay far below
// the native stack ceiling of wazero's compiler (400 MB): 20,000 frames of
// typical size (a few hundred bytes) use a few megabytes. A function whose
// frame exceeds 400 MB / 20,000 = 20 KB (over a thousand locals) can still
// reach wazero's ceiling first; that trap is deterministic too.
const DefaultMaxCallDepth = 20_000

// MaxLocals is the default of Limits.Locals: the most locals (parameters
// included) a function may declare, the limit web engines apply. Compilers
// allocate per local, so a few bytes declaring billions of them would
// otherwise exhaust the host's memory when the module is compiled.
const MaxLocals = 50_000

// MaxCallDepthLimit is the largest accepted Config.MaxCallDepth.
const MaxCallDepthLimit = 1 << 24

// ErrInvalidConfig is returned by Config.Validate and Instrument for a
// Config out of range.
var ErrInvalidConfig = errors.New("fuel: invalid config")

// Config controls the rewriting. The zero value is usable and means
// DefaultConfig.
type Config struct {
	// MaxCallDepth is the call-depth limit baked into the code: a call that
	// would nest deeper calls the ImportDepth import. 0 means
	// DefaultMaxCallDepth. Functions that call nothing are not counted, so
	// the deepest stack is MaxCallDepth counted frames plus one leaf frame
	// and a helper.
	MaxCallDepth int

	// Limits bounds the module's structure; zero fields mean their value in
	// DefaultLimits.
	Limits Limits
}

// DefaultConfig returns the configuration used for uploaded modules.
func DefaultConfig() Config {
	return Config{MaxCallDepth: DefaultMaxCallDepth, Limits: DefaultLimits()}
}

// Validate reports whether c is in range.
func (c Config) Validate() error {
	if c.MaxCallDepth < 0 || c.MaxCallDepth > MaxCallDepthLimit {
		return fmt.Errorf("%w: MaxCallDepth %d not in [0, %d]", ErrInvalidConfig, c.MaxCallDepth, MaxCallDepthLimit)
	}
	return nil
}

// Instrument decodes wasm, checks that it uses only supported features and
// never refers to the indices the rewriting adds, rewrites every function so
// that it meters its own fuel and call depth, and re-encodes the module. The
// input is not modified and the result shares no memory with it. Instrument
// does not validate the module the way a compiler does: compile the result
// to find type errors. It is safe to call concurrently.
//
// Errors are *DecodeError for malformed input, *UnsupportedError for refused
// features, *LimitError for a module past cfg.Limits (checked before any
// allocation or rewriting in proportion to the exceeded count), and errors
// matching ErrReservedIndex or ErrReservedName.
func Instrument(wasm []byte, cfg Config) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxCallDepth == 0 {
		cfg.MaxCallDepth = DefaultMaxCallDepth
	}
	m, err := splitSections(wasm, cfg.Limits.withDefaults())
	if err != nil {
		return nil, err
	}
	if err := m.decodeHeaders(); err != nil {
		return nil, err
	}
	out, err := newInstrumenter(m, cfg, false).run()
	if err == errNeedTableRoom {
		// Rare: only modules that grow a table import ImportTableRoom, so
		// that the others keep their layout. Rewrite again with it.
		out, err = newInstrumenter(m, cfg, true).run()
	}
	return out, err
}
