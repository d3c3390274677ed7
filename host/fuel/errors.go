package fuel

import (
	"errors"
	"fmt"
)

// Errors returned by Instrument when a module uses names or indices that the
// instrumenter reserves for itself. They are wrapped with the offending name
// or index; test with errors.Is.
var (
	// ErrReservedIndex is matched by a *ReservedIndexError: guest code or a
	// section refers to a function, global, type or local index at or past
	// the module's own count, which after rewriting would reach the fuel
	// global, the call-depth global, the metering imports, the helpers or
	// the local caching the fuel.
	ErrReservedIndex = errors.New("fuel: reference to a reserved index")

	// ErrReservedName is returned when a module imports from ImportModule or
	// exports a name starting with ReservedPrefix.
	ErrReservedName = errors.New("fuel: use of a reserved name")

	// ErrLimit is matched by a *LimitError: the module is past one of
	// Config.Limits.
	ErrLimit = errors.New("fuel: implementation limit exceeded")
)

// errNeedTableRoom stops a rewriting that did not import ImportTableRoom
// when it meets a table.grow; Instrument starts again with the import.
var errNeedTableRoom = errors.New("fuel: table.grow needs the table_room import")

// UnsupportedError is returned by Instrument for a module that uses a
// WebAssembly feature the instrumenter refuses (threads, tail calls,
// exception handling, multiple memories, memory64, GC and typed function
// references, relaxed SIMD). Such modules cannot be metered soundly, so they
// are never rewritten.
type UnsupportedError struct {
	// Feature names the refused feature, e.g. "threads" or "tail calls".
	Feature string
	// Detail says what was found, e.g. "atomic instruction 0xfe".
	Detail string
	// Offset is the byte offset in the input where it was found.
	Offset int
}

// Error implements error.
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("fuel: unsupported feature: %s (%s at offset %d)", e.Feature, e.Detail, e.Offset)
}

// DecodeError is returned by Instrument for input that is not a well-formed
// WebAssembly 2.0 binary module.
type DecodeError struct {
	// Offset is the byte offset in the input where decoding failed.
	Offset int
	// Msg describes the problem.
	Msg string
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("fuel: malformed module at offset %d: %s", e.Offset, e.Msg)
}

// ReservedIndexError reports a reference to an index the guest must never
// reach. It matches ErrReservedIndex with errors.Is.
type ReservedIndexError struct {
	// Space is "function", "global", "type" or "local".
	Space string
	// Index is the referenced index.
	Index uint32
	// Count is the number of entries the module itself defines and imports in
	// that index space; every valid reference is below it.
	Count uint32
	// Offset is the byte offset in the input of the reference.
	Offset int
}

// Error implements error.
func (e *ReservedIndexError) Error() string {
	return fmt.Sprintf("fuel: reference to a reserved index: %s index %d at offset %d (module has %d)",
		e.Space, e.Index, e.Offset, e.Count)
}

// Is reports whether target is ErrReservedIndex.
func (e *ReservedIndexError) Is(target error) bool { return target == ErrReservedIndex }

func unsupported(feature string, offset int, format string, args ...any) error {
	return &UnsupportedError{Feature: feature, Detail: fmt.Sprintf(format, args...), Offset: offset}
}

// reservedNameError reports an import or export name reserved for the
// instrumenter. It matches ErrReservedName with errors.Is.
type reservedNameError struct {
	what   string
	name   string
	offset int
}

func (e *reservedNameError) Error() string {
	return fmt.Sprintf("fuel: use of a reserved name: %s %q at offset %d", e.what, e.name, e.offset)
}

func (e *reservedNameError) Is(target error) bool { return target == ErrReservedName }
