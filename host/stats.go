package host

import "sync/atomic"

// InstanceStats counts where tasks' instances came from since the runtime
// started, and what the ready pools hold. It is meant for metrics.
type InstanceStats struct {
	// Fresh counts instances made for their task by instantiating the
	// module (and running its _initialize, if it has one).
	Fresh uint64
	// Restored counts instances made for their task from a snapshot.
	Restored uint64
	// Ready counts tasks that took an instance a ready pool had made ahead.
	Ready uint64
	// WarmNew and WarmReused count the tasks of warm modules that made an
	// instance and that reused an idle one.
	WarmNew, WarmReused uint64
	// WarmDiscarded counts warm instances closed instead of kept or
	// reused: their task trapped or ran out of fuel, memory or time, enough
	// instances were idle, or the next task's memory quota did not fit.
	WarmDiscarded uint64
	// Reset counts tasks that ran in an instance an earlier task ran in,
	// reset to its pristine state (fresh isolation; see Config.NoReset).
	Reset uint64
	// ResetFallbacks counts, by reason (the Reset* constants), the
	// fresh-isolation tasks that did not run in a reset instance and the
	// reset instances closed instead of kept. Every reason is present.
	ResetFallbacks map[string]uint64
	// ReadyBytes is the linear memory of the instances waiting in ready
	// pools, bounded by Config.ReadyBytes.
	ReadyBytes int64
	// ResetBytes is the linear memory of the idle reset instances,
	// bounded by Config.ReadyBytes together with ReadyBytes.
	ResetBytes int64
}

// instanceCounts are a Runtime's InstanceStats counters.
type instanceCounts struct {
	fresh, restored, ready, warmNew, warmReused, warmDiscarded, reset atomic.Uint64
	resetFallbacks                                                    [len(resetReasons)]atomic.Uint64
}

// resetReasonIndex numbers the reasons of resetReasons.
var resetReasonIndex = func() map[string]int {
	m := make(map[string]int, len(resetReasons))
	for i, r := range resetReasons {
		m[r] = i
	}
	return m
}()

// resetFallback counts one fallback for reason.
func (c *instanceCounts) resetFallback(reason string) {
	c.resetFallbacks[resetReasonIndex[reason]].Add(1)
}

// InstanceStats returns the runtime's instance figures.
func (r *Runtime) InstanceStats() InstanceStats {
	c := &r.counts
	st := InstanceStats{
		Fresh: c.fresh.Load(), Restored: c.restored.Load(), Ready: c.ready.Load(),
		WarmNew: c.warmNew.Load(), WarmReused: c.warmReused.Load(), WarmDiscarded: c.warmDiscarded.Load(),
		Reset: c.reset.Load(), ResetFallbacks: make(map[string]uint64, len(resetReasons)),
		ReadyBytes: r.readyBytes.Load(), ResetBytes: r.resetBytes.Load(),
	}
	for i, reason := range resetReasons {
		st.ResetFallbacks[reason] = c.resetFallbacks[i].Load()
	}
	return st
}
