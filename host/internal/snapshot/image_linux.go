//go:build linux

package snapshot

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// Image is a snapshot's linear memory in a file that instances map
// privately (copy-on-write): an instance starts with the snapshot's memory
// without copying it, and each page costs a page fault the first time the
// task reads it and a copy the first time it writes it. This is how
// Wasmtime's memory images make instantiation cheap. Linux only; elsewhere
// the memory is copied.
type Image struct {
	f     *os.File
	size  uint64
	data  []byte   // the file mapped read-only, to restore written pages from
	pools sync.Map // region size → *RegionPool
}

// NewImage writes memory to an unlinked file in /dev/shm (or the
// temporary directory) and keeps it open; it is closed once the image is
// unreachable.
func NewImage(memory []byte) (*Image, error) {
	if len(memory) == 0 || len(memory)%os.Getpagesize() != 0 {
		return nil, fmt.Errorf("snapshot: memory image of %d bytes is not whole pages", len(memory))
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
	data, err := syscall.Mmap(int(f.Fd()), 0, len(memory), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, err
	}
	im := &Image{f: f, size: uint64(len(memory)), data: data}
	runtime.AddCleanup(im, func(m imageFile) {
		syscall.Munmap(m.data)
		m.f.Close()
	}, imageFile{f, data})
	return im, nil
}

// imageFile is what a Image's cleanup releases.
type imageFile struct {
	f    *os.File
	data []byte
}

// MapRegion returns a region of limit bytes (at least the image's size)
// holding the image privately over its start and zero-filled pages after
// it, and the pool to release it to: a region released earlier, reset, or
// a new mapping.
func (im *Image) MapRegion(limit uint64) ([]byte, *RegionPool, error) {
	size := pageRound(max(limit, im.size))
	pool := poolFor(&im.pools, size, false, im.data)
	if region := pool.get(); region != nil {
		return region, pool, nil
	}
	region, err := mmapAnon(size)
	if err != nil {
		return nil, nil, err
	}
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(region)))
	_, _, errno := syscall.Syscall6(syscall.SYS_MMAP, addr, uintptr(im.size),
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_FIXED, im.f.Fd(), 0)
	runtime.KeepAlive(im)
	if errno != 0 {
		syscall.Munmap(region)
		return nil, nil, errno
	}
	return region, pool, nil
}

// anonPools are the pools of released zero-filled regions, by size.
var anonPools sync.Map

// MapAnon returns size bytes (rounded up to pages) of private memory that
// the kernel zero-fills on first touch, and the pool to release it to: a
// fresh instance's linear memory costs the pages its task touches rather
// than zeroing it all up front, and stays out of the Go heap (and the
// garbage collector's work).
func MapAnon(size uint64) ([]byte, *RegionPool, error) {
	size = pageRound(size)
	pool := poolFor(&anonPools, size, true, nil)
	if region := pool.get(); region != nil {
		return region, pool, nil
	}
	region, err := mmapAnon(size)
	return region, pool, err
}

func mmapAnon(size uint64) ([]byte, error) {
	return syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
}

func pageRound(n uint64) uint64 {
	page := uint64(os.Getpagesize())
	return (n + page - 1) / page * page
}

// maxPooledRegions bounds each pool. A pooled region holds address space,
// not memory: its pages were released when it was.
const maxPooledRegions = 16

// RegionPool keeps released regions of one size for reuse, which spares
// an mmap and a munmap per instance (and the address-space lock they take,
// which page faults of running tasks wait for).
type RegionPool struct {
	zero  bool   // regions are zero-filled, not an image's
	image []byte // the image's pages, for an image's regions
	mu    sync.Mutex
	free  [][]byte
}

// maxClearBytes bounds the memory reset zeroes itself.
const maxClearBytes = 256 << 10

// maxZeroAllBytes bounds the zero-filled regions that reset zeroes whole,
// without asking which pages the task touched: the question is a system
// call (mincore) that walks the region's page table, which costs more
// than zeroing this much. On the reference machine, with the region in
// cache, 64 KiB took 0.58 µs zeroed against 1.33 µs with mincore, 128 KiB
// 1.18 against 1.55; but in a loaded server (perf under wrk) zeroing 128
// KiB per task cost as much as mincore (5.4 % of the CPU against 5.0 %),
// and writes memory bandwidth that mincore does not.
const maxZeroAllBytes = 64 << 10

// reset restores b, the used part of a released region. A zero-filled
// region of at most maxZeroAllBytes is zeroed whole; a larger one whose
// task touched at most maxClearBytes is zeroed in place, the pages it
// touched only: MADV_DONTNEED would drop them instead, but it
// makes the kernel flush the other CPUs' TLBs (an interrupt to each, a
// VM exit on a virtual machine), which measured 16 µs per task against a
// few for the zeroing. An image's region whose task wrote at most
// maxClearBytes gets the image's bytes copied back over the pages written
// (restoreWritten). A larger region is reset with MADV_DONTNEED, which
// brings back the image's pages or zeros.
func (p *RegionPool) reset(b []byte) bool {
	if p.zero && len(b) <= maxZeroAllBytes {
		clear(b)
		return true
	}
	if p.zero && clearResident(b) {
		return true
	}
	if p.image != nil && restoreWritten(b, p.image) {
		return true
	}
	return syscall.Madvise(b, syscall.MADV_DONTNEED) == nil
}

// Bits of a /proc/self/pagemap entry.
const (
	pagePresent   = 1 << 63
	pageSwapped   = 1 << 62
	pageFile      = 1 << 61 // a file's page (or shared anonymous): not written privately
	pageExclusive = 1 << 56 // mapped here only; not set for the shared zero page
)

// writtenPage reports whether a page map entry is a page the task wrote: a
// private anonymous page of its own (swapped out or present), not the
// image's file page it only read, nor the zero page that reading
// untouched memory maps.
func writtenPage(e uint64) bool {
	return e&pageSwapped != 0 || e&(pagePresent|pageFile|pageExclusive) == pagePresent|pageExclusive
}

var pagemap struct {
	once sync.Once
	f    *os.File // nil: restoreWritten is not used
	scan bool     // the PAGEMAP_SCAN ioctl works as scanWritten reads it
}

// openPagemap opens /proc/self/pagemap if this kernel tells written pages
// apart the way writtenPage reads it: a probe mapping of a file, one page
// written and one read, must show the first as written and the second
// not. (Without the exclusive bit, say, written pages would look like the
// zero page and be left dirty.)
func openPagemap() {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return
	}
	if !probePagemap(f) {
		f.Close()
		return
	}
	pagemap.f = f
	pagemap.scan = probeScan(f)
}

func probePagemap(f *os.File) bool {
	page := os.Getpagesize()
	im, err := NewImage(make([]byte, 2*page))
	if err != nil {
		return false
	}
	m, err := syscall.Mmap(int(im.f.Fd()), 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return false
	}
	defer syscall.Munmap(m)
	m[0] = 1               // written
	_ = readByte(m[page:]) // read only
	ents := make([]uint64, 2)
	if !readPagemap(f, m[:2*page], ents) {
		return false
	}
	return writtenPage(ents[0]) && ents[1]&pagePresent != 0 && !writtenPage(ents[1])
}

// readByte reads b[0] so that the compiler keeps the read.
//
//go:noinline
func readByte(b []byte) byte { return b[0] }

// readPagemap reads the page map entries of the pages of b into ents.
func readPagemap(f *os.File, b []byte, ents []uint64) bool {
	page := uintptr(os.Getpagesize())
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(ents))), len(ents)*8)
	off := int64(uintptr(unsafe.Pointer(unsafe.SliceData(b))) / page * 8)
	got, err := f.ReadAt(raw, off)
	return err == nil && got == len(raw)
}

// PAGEMAP_SCAN (Linux 6.7) asks the kernel for the ranges of pages in
// given categories, instead of one page map entry per page: for a Go
// reactor's 3 MiB of memory it replaces reading 768 entries (6 KiB) and
// looking at each with a list of the few ranges the task wrote.
const (
	pagemapScanIoctl = 0xc0606610 // _IOWR('f', 16, struct pm_scan_arg)
	pageIsFile       = 1 << 2
	pageIsPresent    = 1 << 3
	pageIsSwapped    = 1 << 4
	pageIsPFNZero    = 1 << 5
)

// pmScanArg is struct pm_scan_arg.
type pmScanArg struct {
	size, flags, start, end, walkEnd, vec, vecLen, maxPages       uint64
	categoryInverted, categoryMask, categoryAnyofMask, returnMask uint64
}

// pageRegion is struct page_region.
type pageRegion struct{ start, end, categories uint64 }

// scanVecs are the buffers scanWritten has the kernel fill.
var scanVecs = sync.Pool{New: func() any { return new([32]pageRegion) }}

// scanWritten appends to regions the ranges of b's pages that the task
// wrote, as writtenPage tells them: present or swapped, neither a file's
// page nor the zero page. Ranges are offsets into b.
func scanWritten(f *os.File, b []byte, regions []pageRegion) ([]pageRegion, bool) {
	base := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	// The kernel writes the ranges at an address passed as an integer, so
	// the buffer must not move: it is taken from a pool, on the heap, not
	// from the goroutine's stack, which may be copied elsewhere on growth.
	vp := scanVecs.Get().(*[32]pageRegion)
	defer scanVecs.Put(vp)
	vec := vp[:]
	for start, end := base, base+uint64(len(b)); start < end; {
		arg := pmScanArg{
			start: start, end: end,
			vec: uint64(uintptr(unsafe.Pointer(&vec[0]))), vecLen: uint64(len(vec)),
			categoryInverted: pageIsFile | pageIsPFNZero, categoryMask: pageIsFile | pageIsPFNZero,
			categoryAnyofMask: pageIsPresent | pageIsSwapped, returnMask: pageIsPresent | pageIsSwapped,
		}
		arg.size = uint64(unsafe.Sizeof(arg))
		n, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), pagemapScanIoctl, uintptr(unsafe.Pointer(&arg)))
		runtime.KeepAlive(b)
		runtime.KeepAlive(vp)
		if errno != 0 || arg.walkEnd <= start || n > uintptr(len(vec)) {
			return regions, false
		}
		for _, r := range vec[:n] {
			if r.start < start || r.end > end || r.start >= r.end {
				return regions, false
			}
			regions = append(regions, pageRegion{start: r.start - base, end: r.end - base})
		}
		start = arg.walkEnd
	}
	return regions, true
}

// probeScan reports whether scanWritten finds, in a probe mapping of a
// file, the page written and not the page only read.
func probeScan(f *os.File) bool {
	page := os.Getpagesize()
	im, err := NewImage(make([]byte, 3*page))
	if err != nil {
		return false
	}
	m, err := syscall.Mmap(int(im.f.Fd()), 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return false
	}
	defer syscall.Munmap(m)
	m[page] = 1              // written
	_ = readByte(m[2*page:]) // read only
	regions, ok := scanWritten(f, m, nil)
	return ok && len(regions) == 1 && regions[0] == pageRegion{start: uint64(page), end: uint64(2 * page)}
}

// restoreWritten resets b, a used region that maps image privately over
// its start, to the image (and zeros after it) by copying over the pages
// the task wrote, as /proc/self/pagemap tells them (writtenPage). It
// reports false, changing nothing, if they are more than maxClearBytes or
// the page map cannot be read. The pages copied stay private and resident,
// so the next task on the region takes no fault on them.
func restoreWritten(b, image []byte) bool {
	pagemap.once.Do(openPagemap)
	if pagemap.f == nil {
		return false
	}
	if len(b) == 0 {
		return true
	}
	if pagemap.scan {
		var small [32]pageRegion
		if regions, ok := scanWritten(pagemap.f, b, small[:0]); ok {
			return resetRegions(b, image, regions)
		}
	}
	var small [512]uint64
	ents := pageMarks(b, small[:])
	if !readPagemap(pagemap.f, b, ents) {
		return false
	}
	return resetPages(b, image, ents, writtenPage)
}

// clearResident zeroes the pages of b that are resident (mincore), and
// reports false, changing nothing, if they are more than maxClearBytes or
// mincore fails. Pages not resident read as zeros already.
func clearResident(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	var small [64]byte
	vec := pageMarks(b, small[:])
	_, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(b))),
		uintptr(len(b)), uintptr(unsafe.Pointer(unsafe.SliceData(vec))))
	if errno != 0 {
		return false
	}
	return resetPages(b, nil, vec, func(v byte) bool { return v&1 != 0 })
}

// pageMarks returns a mark per page of b: small, if they fit.
func pageMarks[M any](b []byte, small []M) []M {
	page := os.Getpagesize()
	n := (len(b) + page - 1) / page
	if n <= len(small) {
		return small[:n]
	}
	return make([]M, n)
}

// resetPages resets the pages of b whose mark says so (marks[i] is page
// i's) to image's bytes, and zeros past the image. It reports false,
// changing nothing, if they are more than maxClearBytes.
func resetPages[M any](b, image []byte, marks []M, marked func(M) bool) bool {
	page := os.Getpagesize()
	n := 0
	for _, m := range marks {
		if marked(m) {
			n++
		}
	}
	if n*page > maxClearBytes {
		return false
	}
	for i, m := range marks {
		if !marked(m) {
			continue
		}
		lo, hi := i*page, min((i+1)*page, len(b))
		if lo < len(image) {
			lo += copy(b[lo:hi], image[lo:min(hi, len(image))])
		}
		clear(b[lo:hi])
	}
	return true
}

// resetRegions resets the ranges regions of b to image's bytes, and zeros
// past the image. It reports false, changing nothing, if they are more
// than maxClearBytes.
func resetRegions(b, image []byte, regions []pageRegion) bool {
	n := uint64(0)
	for _, r := range regions {
		n += r.end - r.start
	}
	if n > maxClearBytes {
		return false
	}
	for _, r := range regions {
		lo, hi := int(r.start), min(int(r.end), len(b))
		if lo < len(image) {
			lo += copy(b[lo:hi], image[lo:min(hi, len(image))])
		}
		clear(b[lo:hi])
	}
	return true
}

func poolFor(pools *sync.Map, size uint64, zero bool, image []byte) *RegionPool {
	if p, ok := pools.Load(size); ok {
		return p.(*RegionPool)
	}
	p, _ := pools.LoadOrStore(size, &RegionPool{zero: zero, image: image})
	return p.(*RegionPool)
}

func (p *RegionPool) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	region := p.free[n-1]
	p.free = p.free[:n-1]
	return region
}

// ResetRegion restores used, the used start of a region of pool that an
// instance still has, to what a new mapping holds (the image's bytes, or
// zeros), as ReleaseRegion does before it pools a region; it reports
// false if that failed, and the region must then not be used again.
func ResetRegion(used []byte, pool *RegionPool) bool {
	return pool != nil && pool.reset(used[:min(pageRound(uint64(len(used))), uint64(cap(used)))])
}

// ReleaseRegion returns a region to its pool after resetting the used
// bytes, so that the next instance sees the image (or zeros) again,
// exactly as in a new mapping. Without a pool, or with the pool full or the
// reset failing, it unmaps the region.
func ReleaseRegion(region []byte, used uint64, pool *RegionPool) {
	if pool != nil && pool.reset(region[:min(pageRound(used), uint64(len(region)))]) {
		pool.mu.Lock()
		keep := len(pool.free) < maxPooledRegions
		if keep {
			pool.free = append(pool.free, region)
		}
		pool.mu.Unlock()
		if keep {
			return
		}
	}
	syscall.Munmap(region)
}
