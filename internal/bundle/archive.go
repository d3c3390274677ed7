package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
)

// Limits bound one archive. Zero fields take the defaults.
type Limits struct {
	// MaxBytes caps the files' bytes together (DefaultMaxBytes).
	MaxBytes int64
	// MaxFiles caps the entries (files, directories and links) together
	// (DefaultMaxFiles).
	MaxFiles int
}

// Defaults of Limits.
const (
	DefaultMaxBytes = 1 << 30
	DefaultMaxFiles = 100_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	return l
}

// headerAllowance is what an archive may hold beyond its files' bytes, in
// the decompressed stream, for each entry: its headers (long names and pax
// records included) and padding. A stream longer than the limits allow
// is refused as too large, so that a gzip bomb of padding or headers stops
// early.
const headerAllowance = 8 << 10

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// blobWriter stores one file's content and returns its digest.
type blobWriter func(r io.Reader, size int64) (string, error)

// readArchive reads a tar archive (gzip-compressed if gz, or if it starts
// with gzip's magic bytes) into a normalised manifest, storing each file's
// content through put. It refuses, as an *EntryError, absolute paths,
// paths through "..", device files and FIFOs, links that leave the tree,
// hard links to anything but an earlier file, entries under a link or a
// file, and a path given twice; past the limits it fails with ErrTooLarge.
func readArchive(r io.Reader, gz bool, lim Limits, put blobWriter) (Manifest, error) {
	lim = lim.withDefaults()
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(2); bytes.Equal(head, gzipMagic) {
		gz = true
	}
	var src io.Reader = br
	if gz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: bundle: gzip: %v", ErrInvalid, err)
		}
		zr.Multistream(false)
		src = zr
	}
	stream := &capReader{r: src, left: lim.MaxBytes + int64(lim.MaxFiles+1)*headerAllowance}
	a := &archive{lim: lim, put: put, seen: map[string]int{}}
	tr := tar.NewReader(stream)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if stream.over {
				return nil, a.tooLarge()
			}
			return nil, fmt.Errorf("%w: bundle: reading the archive: %w", ErrInvalid, err)
		}
		if err := a.add(h, tr); err != nil {
			if stream.over {
				return nil, a.tooLarge()
			}
			return nil, err
		}
	}
	sortManifest(a.m)
	return a.m, nil
}

// archive is the manifest being read.
type archive struct {
	lim   Limits
	put   blobWriter
	m     Manifest
	seen  map[string]int // path → index in m
	bytes int64
}

func (a *archive) tooLarge() error {
	return fmt.Errorf("%w: bundle: archive holds more than %d bytes of files or %d entries", ErrTooLarge, a.lim.MaxBytes, a.lim.MaxFiles)
}

// add adds the entry h, whose content tr reads.
func (a *archive) add(h *tar.Header, tr io.Reader) error {
	bad := func(format string, args ...any) error {
		return &EntryError{Entry: h.Name, Reason: fmt.Sprintf(format, args...)}
	}
	p, err := cleanPath(h.Name)
	if err != nil {
		return bad("%v", err)
	}
	if p == "." {
		if h.Typeflag == tar.TypeDir {
			return nil // the root
		}
		return bad("not a directory at the root")
	}
	var e Entry
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		if h.Size < 0 || h.Size > a.lim.MaxBytes-a.bytes {
			return a.tooLarge()
		}
		digest, err := a.put(io.LimitReader(tr, h.Size), h.Size)
		if err != nil {
			return err
		}
		a.bytes += h.Size
		e = Entry{Path: p, Type: TypeFile, Size: h.Size, Digest: digest}
	case tar.TypeDir:
		if i, ok := a.seen[p]; ok {
			if a.m[i].Type == TypeDir {
				return nil
			}
			return bad("given twice")
		}
		e = Entry{Path: p, Type: TypeDir}
	case tar.TypeSymlink:
		if !linkInside(p, h.Linkname) {
			return bad("symbolic link to %q leaves the tree", h.Linkname)
		}
		e = Entry{Path: p, Type: TypeSymlink, Target: h.Linkname}
	case tar.TypeLink:
		t, err := cleanPath(h.Linkname)
		i, ok := a.seen[t]
		if err != nil || !ok || a.m[i].Type != TypeFile {
			return bad("hard link to %q, which is not an earlier file of the archive", h.Linkname)
		}
		e = a.m[i]
		e.Path = p
		a.bytes += e.Size
		if a.bytes > a.lim.MaxBytes {
			return a.tooLarge()
		}
	case tar.TypeChar, tar.TypeBlock:
		return bad("device file")
	case tar.TypeFifo:
		return bad("FIFO")
	default:
		return bad("unsupported entry type %q", h.Typeflag)
	}
	if _, ok := a.seen[p]; ok {
		return bad("given twice")
	}
	if err := a.parents(p, bad); err != nil {
		return err
	}
	return a.append(e)
}

// parents adds the directories above p that the archive did not list,
// refusing a parent that is a file or a link.
func (a *archive) parents(p string, bad func(string, ...any) error) error {
	var missing []string
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		if i, ok := a.seen[d]; ok {
			if a.m[i].Type != TypeDir {
				return bad("%q above it is a %s, not a directory", d, a.m[i].Type)
			}
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := a.append(Entry{Path: missing[i], Type: TypeDir}); err != nil {
			return err
		}
	}
	return nil
}

func (a *archive) append(e Entry) error {
	if len(a.m) >= a.lim.MaxFiles {
		return a.tooLarge()
	}
	a.seen[e.Path] = len(a.m)
	a.m = append(a.m, e)
	return nil
}

// capReader reads at most left bytes from r; past them it fails, setting
// over.
type capReader struct {
	r    io.Reader
	left int64
	over bool
}

var errCap = errors.New("bundle: archive stream too long")

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.over = true
		return 0, errCap
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
