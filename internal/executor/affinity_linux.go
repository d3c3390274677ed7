//go:build linux

package executor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// pinning reports whether pinThread really pins.
const pinning = true

// startCPUs and startErr are the process's affinity mask as the program
// started (inherited from taskset, cgroup cpusets and the like), read
// before any job pinned a thread.
var startCPUs, startErr = threadCPUs()

// allowedCPUs returns the CPUs the process was started with.
func allowedCPUs() ([]int, error) { return startCPUs, startErr }

// threadCPUs returns the affinity mask of the calling thread.
func threadCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	return cpusOf(&set), nil
}

// currentCPU returns the CPU the calling thread is running on, or -1.
func currentCPU() int {
	var cpu uint32
	if _, _, errno := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0); errno != 0 {
		return -1
	}
	return int(cpu)
}

// pinThread restricts the calling OS thread to cpu. The caller must have
// locked its goroutine to the thread.
func pinThread(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}

// affinity is a saved thread mask.
type affinity struct {
	set unix.CPUSet
	ok  bool
}

// startMask is the process's mask at start-up, which every thread not
// running a job has: jobs run on Do callers' and the executor's own
// goroutines, none of which changes its thread's mask outside a job.
var startMask = func() affinity {
	var a affinity
	a.ok = unix.SchedGetaffinity(0, &a.set) == nil
	return a
}()

// saveAffinity returns the mask to restore after a job: the start-up
// mask, without a system call (sched_getaffinity and sched_setaffinity
// are most of a short job's dispatch cost).
func saveAffinity() affinity { return startMask }

// restore sets the calling thread's mask back and reports success.
func (a *affinity) restore() bool {
	return a.ok && unix.SchedSetaffinity(0, &a.set) == nil
}

func cpusOf(set *unix.CPUSet) []int {
	var cpus []int
	for cpu, left := 0, set.Count(); left > 0 && cpu < maxCPU; cpu++ {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
			left--
		}
	}
	return cpus
}
