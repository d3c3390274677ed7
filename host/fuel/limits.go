package fuel

import (
	"fmt"
	"math"
)

// Limits bounds the structure of a module. Instrument checks each bound
// while it decodes, before it allocates in proportion to a declared count
// and before it rewrites any code, and refuses a module past one with a
// *LimitError. The bounds exist because the work of everything downstream
// (wazero's validation and compilers, instantiation) grows with these
// counts, some of it faster than linearly, while the bytes declaring them
// are few: without them a module of a few hundred kilobytes held a server
// for minutes and tens of gigabytes. RATIONALE.md gives the measurements
// behind the defaults.
//
// A zero field means the field's value in DefaultLimits. Counts of index
// spaces include imports.
type Limits struct {
	// Types is the most function types.
	Types uint32
	// Imports is the most imports of any kind.
	Imports uint32
	// Functions is the most functions, imported and defined.
	Functions uint32
	// Globals is the most globals, imported and defined.
	Globals uint32
	// Tables is the most tables, imported and defined.
	Tables uint32
	// TableElements is the most elements all tables together may hold at
	// instantiation: the sum of their minimum sizes. The default is what a
	// 4 GiB memory quota allows at 8 bytes per element; a host with a lower
	// ceiling sets its own. Growth at run time is the host's to allow
	// (ImportTableRoom).
	TableElements uint32
	// ElementSegments is the most element segments.
	ElementSegments uint32
	// DataSegments is the most data segments.
	DataSegments uint32
	// Exports is the most exports.
	Exports uint32
	// Locals is the most locals one function may have, parameters included.
	Locals uint32
	// TotalLocals is the most locals of all functions together, parameters
	// included.
	TotalLocals uint32
	// BodyBytes is the largest function body, in bytes of the input.
	BodyBytes uint32
	// CodeBytes is the largest code section, in bytes of the input.
	CodeBytes uint32
	// Nesting is the deepest nesting of block, loop and if in a function.
	Nesting uint32
	// Branches is the most block, loop, if, else, br, br_if and br_table
	// instructions in one function. Each starts or ends a basic block, and
	// the work of wazero's optimizing compiler on a function grows with the
	// square of their number (16,000 br_if in one function took 4.4 s, 8,000 took 0.8 s).
	Branches uint32
	// BrTableTargets is the most targets of one br_table, the default
	// target included.
	BrTableTargets uint32
	// TotalBrTableTargets is the most br_table targets in the whole module.
	TotalBrTableTargets uint32
	// GlobalReloads is the most calls in the instrumented code (each
	// function's checks included) times the globals (the two the rewriting
	// adds included). wazero's compiler reloads every mutable global after
	// every call, so its work grows with this product, which a few hundred
	// kilobytes can make huge.
	GlobalReloads uint32
}

// DefaultLimits returns the limits used when Config.Limits leaves a field
// zero. Every module in the repository (the Go-compiled guests of about
// 3.5 MB included) is far below each of them, and the worst module that fits
// each one still uploads in well under two seconds (RATIONALE.md).
func DefaultLimits() Limits {
	return Limits{
		Types:               10_000,
		Imports:             10_000,
		Functions:           100_000,
		Globals:             10_000,
		Tables:              100,
		TableElements:       1 << 29,
		ElementSegments:     100_000,
		DataSegments:        200_000,
		Exports:             10_000,
		Locals:              MaxLocals,
		TotalLocals:         1_000_000,
		BodyBytes:           256 << 10,
		CodeBytes:           16 << 20,
		Nesting:             2_500,
		Branches:            10_000,
		BrTableTargets:      4_096,
		TotalBrTableTargets: 320_000,
		GlobalReloads:       4_000_000,
	}
}

// withDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, d *uint32 }{
		{&l.Types, &d.Types}, {&l.Imports, &d.Imports}, {&l.Functions, &d.Functions},
		{&l.Globals, &d.Globals}, {&l.Tables, &d.Tables}, {&l.TableElements, &d.TableElements},
		{&l.ElementSegments, &d.ElementSegments}, {&l.DataSegments, &d.DataSegments},
		{&l.Exports, &d.Exports}, {&l.Locals, &d.Locals}, {&l.TotalLocals, &d.TotalLocals},
		{&l.BodyBytes, &d.BodyBytes}, {&l.CodeBytes, &d.CodeBytes}, {&l.Nesting, &d.Nesting},
		{&l.Branches, &d.Branches},
		{&l.BrTableTargets, &d.BrTableTargets}, {&l.TotalBrTableTargets, &d.TotalBrTableTargets},
		{&l.GlobalReloads, &d.GlobalReloads},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	return l
}

// LimitError is returned by Instrument for a module past one of its
// Limits. It matches ErrLimit with errors.Is.
type LimitError struct {
	// Limit names the limit: "types", "imports", "functions", "globals",
	// "tables", "table elements", "element segments", "data segments",
	// "exports", "locals", "total locals", "body bytes", "code bytes",
	// "nesting", "branches", "br_table targets", "total br_table targets" or "global
	// reloads".
	Limit string
	// Value is what the module declares or reaches, counted up to the
	// point where the limit was found exceeded.
	Value uint64
	// Max is the limit.
	Max uint64
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("fuel: module exceeds limit: %s %d > %d", e.Limit, e.Value, e.Max)
}

// Is reports whether target is ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// within checks v against max for the limit name and records v in seen,
// the largest value met, which tests read.
func within(name string, v uint64, max uint32, seen *uint32) error {
	if v > uint64(*seen) {
		*seen = uint32(min(v, math.MaxUint32))
	}
	if v > uint64(max) {
		return &LimitError{Limit: name, Value: v, Max: uint64(max)}
	}
	return nil
}

// checkCounts checks the counts of the sections decodeHeaders does not
// decode, and the size and locals of every function body, without
// rewriting anything.
func (m *module) checkCounts() error {
	counts := []struct {
		id   byte
		name string
		max  uint32
		seen *uint32
	}{
		{secExport, "exports", m.lim.Exports, &m.seen.Exports},
		{secElement, "element segments", m.lim.ElementSegments, &m.seen.ElementSegments},
		{secDataCount, "data segments", m.lim.DataSegments, &m.seen.DataSegments},
		{secData, "data segments", m.lim.DataSegments, &m.seen.DataSegments},
	}
	for _, c := range counts {
		if r := m.reader(c.id); r != nil {
			n, err := r.u32()
			if err != nil {
				return err
			}
			if err := within(c.name, uint64(n), c.max, c.seen); err != nil {
				return err
			}
		}
	}
	return m.checkBodies()
}

// checkBodies checks the code section's size, each body's size and the
// locals of each function and of all together.
func (m *module) checkBodies() error {
	r := m.reader(secCode)
	if r == nil {
		return nil
	}
	if err := within("code bytes", uint64(len(r.b)-r.pos), m.lim.CodeBytes, &m.seen.CodeBytes); err != nil {
		return err
	}
	n, err := r.u32()
	if err != nil {
		return err
	}
	if n != uint32(len(m.funcTypes)) {
		return r.errorf("function and code section have inconsistent lengths")
	}
	var total uint64
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return err
		}
		if err := within("body bytes", uint64(size), m.lim.BodyBytes, &m.seen.BodyBytes); err != nil {
			return err
		}
		if uint64(size) > uint64(len(r.b)-r.pos) {
			return r.errorf("function body size %d out of bounds", size)
		}
		end := r.pos + int(size)
		body := &reader{b: r.b[:end], pos: r.pos}
		locals, err := m.countLocals(body, m.funcTypes[i])
		if err != nil {
			return err
		}
		total += locals
		if err := within("total locals", total, m.lim.TotalLocals, &m.seen.TotalLocals); err != nil {
			return err
		}
		r.pos = end
	}
	return nil
}

// countLocals reads the local declarations of a body and returns the
// number of locals, parameters included.
func (m *module) countLocals(r *reader, typeIdx uint32) (uint64, error) {
	groups, err := r.u32()
	if err != nil {
		return 0, err
	}
	n := uint64(m.typeParams[typeIdx])
	for i := uint32(0); i < groups; i++ {
		c, err := r.u32()
		if err != nil {
			return 0, err
		}
		n += uint64(c)
		if err := within("locals", n, m.lim.Locals, &m.seen.Locals); err != nil {
			return 0, err
		}
		if _, err := r.byte(); err != nil {
			return 0, err
		}
	}
	return n, within("locals", n, m.lim.Locals, &m.seen.Locals)
}
