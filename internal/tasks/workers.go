package tasks

import "sync/atomic"

// maxIdleWorkers bounds the attempt goroutines kept waiting for work.
const maxIdleWorkers = 256

// workers runs attempts on goroutines that outlive them. A goroutine's
// stack starts small and grows by copying as an attempt's calls deepen
// (wazero's instantiation, the guest, the host functions); a new goroutine
// per attempt paid for that copying every time, about 5 % of the CPU of a
// trivial end-to-end task. A finished worker waits for the next attempt
// unless maxIdleWorkers already wait, and exits when stop is closed.
type workers struct {
	work chan func() // unbuffered: a send succeeds only into a waiting worker
	idle atomic.Int32
	stop <-chan struct{}
}

func newWorkers(stop <-chan struct{}) *workers {
	return &workers{work: make(chan func()), stop: stop}
}

// run runs f on a waiting worker, or on a new one if none waits.
func (w *workers) run(f func()) {
	select {
	case w.work <- f:
	default:
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	for {
		f()
		if w.idle.Add(1) > maxIdleWorkers {
			w.idle.Add(-1)
			return
		}
		select {
		case f = <-w.work:
			w.idle.Add(-1)
		case <-w.stop:
			w.idle.Add(-1)
			return
		}
	}
}
