//go:build !linux

package fuel_test

// threadCPU returns -1: per-thread CPU time is read on Linux only.
func threadCPU() int64 { return -1 }
