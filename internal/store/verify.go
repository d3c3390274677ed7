package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The file's structure is verified by reading it, not through bbolt's
// memory map: bbolt trusts the page numbers it finds, so a file cut short
// or a page number damaged sends it past the end of the mapping, and the
// fault that follows kills the process (recover cannot catch it). Once
// every page reachable from the current meta page is known to lie inside
// the file and to be well formed, nothing bbolt reads can fault.
//
// The layout is bbolt's (version 2), in the machine's byte order: a page
// is a 16-byte header (id u64, flags u16, count u16, overflow u32) and
// count elements; a meta page holds magic, version, page size, flags
// (u32 each), the root bucket (root page u64, sequence u64), the freelist
// page, the high-water mark (pages in use), the transaction id and an FNV-64a
// checksum of what precedes it (u64 each).

const (
	pageHeaderSize  = 16
	elementSize     = 16 // branch and leaf elements alike
	metaSize        = 64
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	branchPageFlag  = 0x01
	leafPageFlag    = 0x02
	freelistFlag    = 0x10
	bucketLeafFlag  = 0x01
	noFreelist      = ^uint64(0)
	maxVerifyErrors = 20
	maxTreeDepth    = 64
)

var ne = binary.NativeEndian

// meta is a decoded meta page.
type meta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark
	txid     uint64
}

// parseMeta decodes the meta page at the start of b, or says why it is
// not one.
func parseMeta(b []byte) (meta, error) {
	if len(b) < pageHeaderSize+metaSize {
		return meta{}, errors.New("meta page cut short")
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	if ne.Uint32(m[0:]) != boltMagic {
		return meta{}, errors.New("not a bbolt meta page")
	}
	if v := ne.Uint32(m[4:]); v != boltVersion {
		return meta{}, fmt.Errorf("bbolt file version %d", v)
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != ne.Uint64(m[56:]) {
		return meta{}, errors.New("meta page checksum mismatch")
	}
	return meta{pageSize: ne.Uint32(m[8:]), root: ne.Uint64(m[16:]), freelist: ne.Uint64(m[32:]),
		pgid: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, nil
}

// readMetas returns the meta page bbolt would use (the valid one with the
// higher transaction id), as bbolt finds them: the first at offset 0, the
// second one page further, its page size taken from the first or, if the
// first is damaged, tried from 1 KiB to 64 KiB.
func readMetas(f io.ReaderAt, size int64) (meta, error) {
	buf := make([]byte, pageHeaderSize+metaSize)
	at := func(off int64) (meta, error) {
		if off+int64(len(buf)) > size {
			return meta{}, errors.New("meta page past the end of the file")
		}
		if _, err := f.ReadAt(buf, off); err != nil {
			return meta{}, err
		}
		return parseMeta(buf)
	}
	m0, err0 := at(0)
	var m1 meta
	var err1 error
	if err0 == nil {
		m1, err1 = at(int64(m0.pageSize))
	} else {
		err1 = errors.New("no second meta page found")
		for ps := int64(1024); ps <= 64<<10; ps *= 2 {
			if m, err := at(ps); err == nil && int64(m.pageSize) == ps {
				m1, err1 = m, nil
				break
			}
		}
	}
	switch {
	case err0 != nil && err1 != nil:
		return meta{}, fmt.Errorf("both meta pages are invalid (%v; %v)", err0, err1)
	case err0 != nil:
		return m1, nil
	case err1 != nil || m0.txid >= m1.txid:
		return m0, nil
	}
	return m1, nil
}

// fileVerifier walks a bbolt file's pages by reading them.
type fileVerifier struct {
	f    io.ReaderAt
	m    meta
	ps   int64
	seen map[uint64]bool
	free map[uint64]bool
	errs []error
}

// verifyFile checks that the file at path is a bbolt file whose current
// meta page, freelist and every page reachable from the root bucket lie
// inside the file and are well formed. It returns every problem found (up
// to 20), joined.
func verifyFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return verifyReader(f, st.Size())
}

func verifyReader(f io.ReaderAt, size int64) error {
	if size == 0 {
		return errors.New("the file is empty (0 bytes)")
	}
	m, err := readMetas(f, size)
	if err != nil {
		return err
	}
	ps := int64(m.pageSize)
	if ps < 512 || ps > 1<<20 || ps&(ps-1) != 0 {
		return fmt.Errorf("meta page gives page size %d", ps)
	}
	if m.pgid < 2 || m.pgid > uint64(size/ps) {
		return fmt.Errorf("the file is cut short: %d bytes, the meta page counts %d pages of %d bytes (%d bytes)",
			size, m.pgid, ps, m.pgid*uint64(ps))
	}
	v := &fileVerifier{f: f, m: m, ps: ps, seen: map[uint64]bool{0: true, 1: true}}
	if m.freelist != noFreelist {
		v.freelist()
	}
	v.tree(m.root, 0, "root")
	return errors.Join(v.errs...)
}

func (v *fileVerifier) fail(format string, args ...any) {
	if len(v.errs) < maxVerifyErrors {
		v.errs = append(v.errs, fmt.Errorf(format, args...))
	}
}

func (v *fileVerifier) full() bool { return len(v.errs) >= maxVerifyErrors }

// page reads page id with its overflow pages, checking its header, or
// returns nil after noting the problem.
func (v *fileVerifier) page(id uint64, what string) []byte {
	if id < 2 || id >= v.m.pgid {
		v.fail("%s: page %d outside the %d pages in use", what, id, v.m.pgid)
		return nil
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := v.f.ReadAt(hdr, int64(id)*v.ps); err != nil {
		v.fail("%s: page %d: %v", what, id, err)
		return nil
	}
	if got := ne.Uint64(hdr); got != id {
		v.fail("%s: page %d has the header of page %d", what, id, got)
		return nil
	}
	n := uint64(ne.Uint32(hdr[12:])) + 1
	if id+n > v.m.pgid {
		v.fail("%s: page %d with %d overflow pages passes the %d pages in use", what, id, n-1, v.m.pgid)
		return nil
	}
	for i := id; i < id+n; i++ {
		if v.free[i] {
			v.fail("%s: page %d is in use and on the freelist", what, i)
			return nil
		}
		if v.seen[i] {
			v.fail("%s: page %d referenced twice", what, i)
			return nil
		}
		v.seen[i] = true
	}
	p := make([]byte, n*uint64(v.ps))
	if _, err := v.f.ReadAt(p, int64(id)*v.ps); err != nil {
		v.fail("%s: page %d: %v", what, id, err)
		return nil
	}
	return p
}

func (v *fileVerifier) freelist() {
	p := v.page(v.m.freelist, "freelist")
	if p == nil {
		return
	}
	if ne.Uint16(p[8:])&freelistFlag == 0 {
		v.fail("freelist: page %d is not a freelist page (flags %#x)", v.m.freelist, ne.Uint16(p[8:]))
		return
	}
	start, count := uint64(pageHeaderSize), uint64(ne.Uint16(p[10:]))
	if count == 0xFFFF {
		count, start = ne.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > (uint64(len(p))-start)/8 {
		v.fail("freelist: %d ids do not fit page %d", count, v.m.freelist)
		return
	}
	v.free = make(map[uint64]bool, count)
	for i := range count {
		id := ne.Uint64(p[start+8*i:])
		if id < 2 || id >= v.m.pgid || v.seen[id] {
			v.fail("freelist: free page %d is a meta or freelist page, or outside the %d pages in use", id, v.m.pgid)
			return
		}
		v.free[id] = true
	}
}

// tree checks the B+tree whose root is page id.
func (v *fileVerifier) tree(id uint64, depth int, what string) {
	if v.full() {
		return
	}
	if depth > maxTreeDepth {
		v.fail("%s: tree deeper than %d", what, maxTreeDepth)
		return
	}
	p := v.page(id, what)
	if p == nil {
		return
	}
	v.node(p, id, depth, what)
}

// node checks the elements of page p (a stored page or an inline bucket's).
func (v *fileVerifier) node(p []byte, id uint64, depth int, what string) {
	if len(p) < pageHeaderSize {
		v.fail("%s: page %d cut short", what, id)
		return
	}
	flags, count := ne.Uint16(p[8:]), int(ne.Uint16(p[10:]))
	if pageHeaderSize+count*elementSize > len(p) {
		v.fail("%s: page %d: %d elements do not fit", what, id, count)
		return
	}
	var prev []byte
	for i := range count {
		e := pageHeaderSize + i*elementSize
		var key, val []byte
		var ok bool
		switch flags {
		case branchPageFlag:
			key, ok = span(p, e, ne.Uint32(p[e:]), ne.Uint32(p[e+4:]))
		case leafPageFlag:
			ks, vs := ne.Uint32(p[e+8:]), ne.Uint32(p[e+12:])
			key, ok = span(p, e, ne.Uint32(p[e+4:]), ks)
			if ok {
				val, ok = span(p, e, ne.Uint32(p[e+4:])+ks, vs)
			}
		default:
			v.fail("%s: page %d is neither branch nor leaf (flags %#x)", what, id, flags)
			return
		}
		if !ok {
			v.fail("%s: page %d: element %d passes the end of the page", what, id, i)
			return
		}
		if prev != nil && bytes.Compare(prev, key) >= 0 {
			v.fail("%s: page %d: keys out of order at element %d", what, id, i)
		}
		prev = key
		if flags == branchPageFlag {
			v.tree(ne.Uint64(p[e+8:]), depth+1, what)
		} else if ne.Uint32(p[e:])&bucketLeafFlag != 0 {
			v.bucket(key, val, id, depth, what)
		}
		if v.full() {
			return
		}
	}
}

// bucket checks a nested bucket's value: its root page, or its inline page.
func (v *fileVerifier) bucket(name, val []byte, id uint64, depth int, what string) {
	what = what + "/" + string(name)
	if len(val) < 16 {
		v.fail("%s: bucket header on page %d cut short", what, id)
		return
	}
	if root := ne.Uint64(val); root != 0 {
		v.tree(root, depth+1, what)
		return
	}
	inline := val[16:]
	if len(inline) < pageHeaderSize || ne.Uint16(inline[8:]) != leafPageFlag {
		v.fail("%s: inline bucket on page %d is not a leaf", what, id)
		return
	}
	v.node(inline, id, depth+1, what)
}

// span returns n bytes at element offset e plus pos within p.
func span(p []byte, e int, pos, n uint32) ([]byte, bool) {
	start := uint64(e) + uint64(pos)
	end := start + uint64(n)
	if end > uint64(len(p)) {
		return nil, false
	}
	return p[start:end], true
}
