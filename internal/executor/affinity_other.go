//go:build !linux

package executor

import "runtime"

// pinning reports whether pinThread really pins. Outside Linux there is
// no portable per-thread affinity call, so tokens are not pinned: jobs
// still run one per token on locked threads, wherever the OS puts them.
const pinning = false

// allowedCPUs returns 0..NumCPU-1.
func allowedCPUs() ([]int, error) {
	cpus := make([]int, runtime.NumCPU())
	for i := range cpus {
		cpus[i] = i
	}
	return cpus, nil
}

// threadCPUs returns allowedCPUs: threads are never pinned.
func threadCPUs() ([]int, error) { return allowedCPUs() }

// currentCPU returns -1: there is no token CPU to prefer.
func currentCPU() int { return -1 }

// pinThread does nothing outside Linux.
func pinThread(int) error { return nil }

// affinity is a saved thread mask; there is none to save.
type affinity struct{}

func saveAffinity() affinity    { return affinity{} }
func (*affinity) restore() bool { return true }
