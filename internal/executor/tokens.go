package executor

import "runtime"

// token is the right to run one job. Each is bound to one CPU.
type token struct {
	id   int
	cpu  int
	node int
}

// takeTokenLocked removes and returns a free token, on node if one is
// free there (node < 0: any), and among those the one for cpu if it is
// free (cpu < 0: any). There must be a free token.
//
// cpu is where the job's thread already runs, for a Do caller that finds
// a free token: taking that CPU's token makes pinning a mask change
// without a migration, where another CPU's would move the thread to a
// core that may be busy with other threads of the process.
func (e *Executor) takeTokenLocked(node, cpu int) *token {
	i := len(e.free) - 1
	if node >= 0 && e.free[i].node != node {
		for j := i - 1; j >= 0; j-- {
			if e.free[j].node == node {
				i = j
				break
			}
		}
	}
	if cpu >= 0 && e.free[i].cpu != cpu {
		want := e.free[i].node
		for j := len(e.free) - 1; j >= 0; j-- {
			if e.free[j].cpu == cpu && (node < 0 || e.free[j].node == want) {
				i = j
				break
			}
		}
	}
	tok := e.free[i]
	e.free = append(e.free[:i], e.free[i+1:]...)
	return tok
}

// thread is the OS thread a job runs on while it holds a token: the
// job's goroutine (Do's caller, or one started for a Submit) locks itself
// to its thread and pins it to the token's CPU, at its first Yield or,
// with Config.PinAtStart, as it starts; a preempted job unlocks while
// suspended and locks and pins again, on whatever thread it resumes on.
// Afterwards the process's start-up mask is restored before the thread is
// unlocked, so no pinned thread returns to the Go scheduler's pool. (Long-lived pinned worker goroutines would
// save the two affinity calls, but waking a goroutine locked to a
// sleeping thread costs a thread handoff, tens of microseconds, per job.)
type thread struct {
	cpu    int  // the CPU it is pinned to, or -1
	locked bool // the goroutine is wired to the thread
	saved  affinity
}

// lock wires the calling goroutine to its thread and remembers the
// thread's mask.
func (th *thread) lock() {
	runtime.LockOSThread()
	th.cpu, th.locked = -1, true
	th.saved = saveAffinity()
}

// unlock restores the thread's mask and unwires it. If the mask cannot
// be restored the goroutine stays locked, so the thread dies with it
// rather than serve other goroutines pinned.
func (th *thread) unlock() {
	if !th.locked {
		return
	}
	th.locked = false
	if th.cpu >= 0 && !th.saved.restore() {
		return
	}
	runtime.UnlockOSThread()
}

// wire locks t's goroutine to its thread and pins that to t's token's
// CPU. It runs on t's goroutine.
func (e *Executor) wire(t *task) {
	t.th.lock()
	e.pin(&t.th, t.tok.cpu)
}

// pin moves the thread to cpu unless it is there already. A failure (a
// CPU taken away by a cgroup change, say) is counted and the job runs
// unpinned.
func (e *Executor) pin(th *thread, cpu int) {
	if th.cpu == cpu {
		return
	}
	if err := pinThread(cpu); err != nil {
		e.pinErrors.Add(1)
		return
	}
	th.cpu = cpu
}
