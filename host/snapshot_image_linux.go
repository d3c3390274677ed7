//go:build linux

package host

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// memImage is a snapshot's linear memory in a file that instances map
// privately (copy-on-write): an instance starts with the snapshot's memory
// without copying it, and each page costs a page fault the first time the
// task reads it and a copy the first time it writes it. This is how
// Wasmtime's memory images make instantiation cheap. Linux only; elsewhere
// the memory is copied.
type memImage struct {
	f    *os.File
	size uint64
}

// newMemImage writes memory to an unlinked file in /dev/shm (or the
// temporary directory) and keeps it open; it is closed once the image is
// unreachable.
func newMemImage(memory []byte) (*memImage, error) {
	if len(memory) == 0 || len(memory)%os.Getpagesize() != 0 {
		return nil, fmt.Errorf("host: memory image of %d bytes is not whole pages", len(memory))
	}
	dir := "/dev/shm"
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = ""
	}
	f, err := os.CreateTemp(dir, "nexus-snapshot-")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if _, err := f.Write(memory); err != nil {
		f.Close()
		return nil, err
	}
	im := &memImage{f: f, size: uint64(len(memory))}
	runtime.AddCleanup(im, func(f *os.File) { f.Close() }, f)
	return im, nil
}

// mapRegion reserves limit bytes of address space (at least the image's
// size), maps the image privately over its start and leaves the rest
// zero-filled on demand. The region must be released with unmapRegion.
func (im *memImage) mapRegion(limit uint64) ([]byte, error) {
	region, err := mapAnon(max(limit, im.size))
	if err != nil {
		return nil, err
	}
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(region)))
	_, _, errno := syscall.Syscall6(syscall.SYS_MMAP, addr, uintptr(im.size),
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_FIXED, im.f.Fd(), 0)
	runtime.KeepAlive(im)
	if errno != 0 {
		syscall.Munmap(region)
		return nil, errno
	}
	return region, nil
}

// mapAnon reserves size bytes (rounded up to pages) of private memory that
// the kernel zero-fills on first touch: a fresh instance's linear memory
// costs the pages its task touches rather than zeroing it all up front,
// and stays out of the Go heap (and the garbage collector's work). The
// region must be released with unmapRegion.
func mapAnon(size uint64) ([]byte, error) {
	page := uint64(os.Getpagesize())
	size = (size + page - 1) / page * page
	return syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
}

// unmapRegion releases a region from mapRegion or mapAnon.
func unmapRegion(region []byte) { syscall.Munmap(region) }
