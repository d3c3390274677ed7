package host

import (
	"context"
	"errors"
	"fmt"
)

// pristineState is a namespace's post-instantiation state, for the reset
// instances of a module that has no snapshot: the state right after
// instantiation, before _initialize (which its tasks then run
// themselves). Either state is nil and reason says why.
type pristineState struct {
	state  *snapshotState
	reason string // a Reset* reason when state is nil
	err    error  // what made it fail, for PrepareReset
}

// resetPrepareAfter is how many tasks of a module and name without a
// snapshot run in new instances before its post-instantiation state is
// captured: the capture compiles the module twice more (the probe and
// restore modules), which only a module that runs many tasks pays back
// (a Go wasi-command never does: it always exits). On a 2-core machine
// compiling the Go echo twice more took seconds of CPU, which made the
// first few hundred of its tasks up to 1.7× slower (BenchmarkInvoke,
// bench/RESULTS.md).
const resetPrepareAfter = 1000

// pristine returns the state m's reset instances for ns start from, or nil
// and why tasks cannot run in one: its snapshot if it has one, otherwise
// its post-instantiation state, captured in the background once
// resetPrepareAfter tasks asked for it (at once by PrepareReset).
func (r *Runtime) pristine(m *Module, ns *nsState) (*snapshotState, string) {
	if !m.effectsKnown || m.effects.WritesTables {
		return nil, ResetTableWrite
	}
	if s := ns.snap.Load(); s != nil {
		return s, ""
	}
	if p := ns.post.Load(); p != nil {
		return p.state, p.reason
	}
	if ns.resetAsked.Add(1) < resetPrepareAfter {
		return nil, ResetPreparing
	}
	if ns.preparing.CompareAndSwap(false, true) {
		r.background(func() { r.preparePost(context.Background(), m, ns) }, nil)
	}
	return nil, ResetPreparing
}

// PrepareReset captures, if it has not yet, the state m's reset instances
// for tasks of namespace start from when m has no snapshot, and returns
// why tasks cannot run in a reset instance, or nil. Run does the same in
// the background on a task's first use; PrepareReset waits for it.
func (r *Runtime) PrepareReset(ctx context.Context, m *Module, namespace string) error {
	ns := m.fast.get(namespace)
	if s, reason := r.pristine(m, ns); s != nil {
		return nil
	} else if reason != ResetPreparing {
		if p := ns.post.Load(); p != nil && p.err != nil {
			return fmt.Errorf("host: no reset (%s): %w", reason, p.err)
		}
		return fmt.Errorf("host: no reset: %s", reason)
	}
	p := r.preparePost(ctx, m, ns)
	if p.state == nil {
		return fmt.Errorf("host: no reset (%s): %w", p.reason, p.err)
	}
	return nil
}

// preparePost captures ns's post-instantiation state once and returns it.
// Concurrent calls capture it once each at most; the first stored wins.
func (r *Runtime) preparePost(ctx context.Context, m *Module, ns *nsState) *pristineState {
	if p := ns.post.Load(); p != nil {
		return p
	}
	p := &pristineState{}
	artifact := m.fast.artifactOf()
	code, err := r.snapshotCode(ctx, m, artifact)
	if err == nil {
		p.state, err = r.initialise(ctx, code, ns.name, false)
	}
	if err != nil {
		p.reason, p.err = ResetNoPristine, err
		if errors.Is(err, ErrClosed) || ctx.Err() != nil {
			ns.preparing.Store(false) // not the module's fault: try again later
			return p
		}
	}
	ns.post.CompareAndSwap(nil, p)
	return ns.post.Load()
}
