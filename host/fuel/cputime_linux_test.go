package fuel_test

import "syscall"

// threadCPU returns the CPU time the calling thread has used, in
// nanoseconds, or -1 if it cannot be read. The caller must be locked to
// its thread.
func threadCPU() int64 {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
