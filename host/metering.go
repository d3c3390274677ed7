package host

import (
	"context"
	"time"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/nexustask/nexus/internal/errkind"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Defaults for fuel metering.
const (
	// DefaultFuel is a task's fuel budget when neither the request nor the
	// configuration sets one: about ten seconds of compute on this class
	// of machine.
	DefaultFuel = 10_000_000_000
	// DefaultSliceFuel is the fuel a task runs between two slice
	// boundaries, where the host checks budget, deadline and cancellation
	// and may preempt it: about a millisecond of compute.
	DefaultSliceFuel = 1_000_000
)

// FuelError is returned when a task used more fuel than its budget: Used
// is the fuel the task had used when it was stopped (more than Budget by at
// most one slice boundary's overshoot). It is errkind.FuelError.
type FuelError = errkind.FuelError

// ErrCallDepth is returned when a task nests calls deeper than the
// instrumenter's call-depth limit (runaway recursion).
var ErrCallDepth = errkind.ErrHostCallDepth

// Yielder is the executor's hook into a running task. Yield is called on the
// task's goroutine at every fuel-slice boundary. It may block, suspending
// the guest mid-execution until it returns (preemption); a non-nil error
// stops the task with that error. Yield must return promptly once ctx is
// done.
type Yielder interface {
	Yield(ctx context.Context) error
}

// meter is a task's fuel accounting. The guest decrements the fuel global;
// given is all the fuel handed out, so used = given - global.
type meter struct {
	budget int64
	slice  int64
	given  int64
	// used is the fuel used as of the last slice boundary: what Run reports
	// when the instance is gone before the global can be read.
	used    int64
	yielder Yielder
	global  api.Global // the instance's fuel global, once instantiated
}

// usedWith returns the fuel used given the fuel global's current value.
func (m *meter) usedWith(remaining int64) int64 { return m.given - remaining }

// refill accounts a slice boundary at which the global held remaining and
// returns the next slice, or an error if the budget is gone.
func (m *meter) refill(remaining int64) (int64, error) {
	used := m.usedWith(remaining)
	m.used = used
	if used > m.budget {
		return 0, &FuelError{Used: used, Budget: m.budget}
	}
	next := min(m.slice, m.budget-used)
	m.given = used + next
	return next, nil
}

// prime hands the guest its first slice before the host calls into the
// instance, so that a task that fits in one slice crosses no slice
// boundary (a fresh instance's global starts at 0, which would make the
// guest's first check call one). Fuel accounting does not change: used
// is given minus what the global holds, wherever the slices start.
func (m *meter) prime() error {
	next, err := m.refill(int64(m.global.Get()))
	if err != nil {
		return err
	}
	m.global.(api.MutableGlobal).Set(uint64(next))
	return nil
}

// sliceBoundary is nexus_fuel.slice(remaining i64) -> i64, called by
// instrumented code when the fuel global is negative at a function entry or
// loop header. It accounts the fuel used, stops the task if the budget is
// gone, the deadline passed, the task was canceled or its output passed
// its limit, lets the executor preempt it, and returns the next slice.
func sliceBoundary(ctx context.Context, _ api.Module, stack []uint64) {
	t := taskFrom(ctx)
	next, err := t.meter.refill(int64(stack[0]))
	if err != nil {
		panic(err)
	}
	if err := ctx.Err(); err != nil {
		panic(context.Cause(ctx))
	}
	if !time.Now().Before(t.deadline) {
		panic(ErrTimeout)
	}
	if t.out.Exceeded() {
		panic(ErrOutputLimit)
	}
	if y := t.meter.yielder; y != nil {
		if err := y.Yield(t.yieldContext(ctx)); err != nil {
			panic(err)
		}
	}
	stack[0] = uint64(next)
}

// tableRoom is nexus_fuel.table_room(total i64) -> i32, called by the
// instrumented table.grow before it grows a table, with the number of
// elements all the module's tables would hold together after the growth.
// It returns 1 if that is within the task's table-element limit
// (Limits.TableElements), and otherwise 0, recording the refusal so that a
// task that then traps is reported as ErrMemoryLimit; the guest's
// table.grow then returns -1 without growing. During a snapshot's
// initialisation it stops the snapshot: tables are not captured.
func tableRoom(ctx context.Context, _ api.Module, stack []uint64) {
	t := taskFrom(ctx)
	if t == nil {
		stack[0] = 0
		return
	}
	if t.snapshotting {
		panic(errInitGrowsTable)
	}
	if total := stack[0]; total > uint64(t.tables) {
		t.mem.tablesRefused = true
		stack[0] = 0
		return
	}
	stack[0] = 1
}

// depthExceeded is nexus_fuel.depth_exceeded(): the guest nested calls past
// the limit baked in by the instrumenter. It traps.
func depthExceeded(context.Context, api.Module, []uint64) {
	panic(ErrCallDepth)
}

// fuelRemaining is nexus_v1.fuel_remaining() -> i64: the fuel left in the
// task's budget, never negative. It is deterministic: it depends only on
// the instructions executed before the call.
func fuelRemaining(ctx context.Context, _ api.Module, stack []uint64) {
	t := taskFrom(ctx)
	left := t.meter.budget
	if g := t.meter.global; g != nil {
		left -= t.meter.usedWith(int64(g.Get()))
	}
	stack[0] = uint64(max(left, 0))
}

func instantiateMetering(ctx context.Context, rt wazero.Runtime) error {
	_, err := rt.NewHostModuleBuilder(fuel.ImportModule).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(sliceBoundary),
		[]api.ValueType{i64}, []api.ValueType{i64}).Export(fuel.ImportSlice).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(depthExceeded), nil, nil).Export(fuel.ImportDepth).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(tableRoom),
		[]api.ValueType{i64}, []api.ValueType{i32}).Export(fuel.ImportTableRoom).
		Instantiate(ctx)
	return err
}
