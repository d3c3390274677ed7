package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nexustask/nexus/internal/names"
)

// Config configures a Store.
type Config struct {
	// Dir holds the blobs and trees (DataDir/bundles); it is created if
	// missing.
	Dir string
	// Limits bound each archive; zero fields take the defaults.
	Limits Limits
	// Now is the clock of CreatedAt; nil means time.Now.
	Now func() time.Time
}

// Store holds bundles: files under Config.Dir, names and versions in an
// Index. It is safe for concurrent use.
type Store struct {
	dir string
	idx Index
	lim Limits
	now func() time.Time

	// mu is held for reading by imports, for writing by Collect: a blob
	// an import has written but not yet linked into a tree is never
	// collected.
	mu sync.RWMutex

	useMu  sync.Mutex
	byName map[string]int // name → mounts held (Acquire)
	byTree map[string]int // tree digest → mounts held
}

// Open opens the store in cfg.Dir over idx, creating the directories it
// needs, and collects what an interrupted import left behind.
func Open(cfg Config, idx Index) (*Store, error) {
	s := &Store{dir: cfg.Dir, idx: idx, lim: cfg.Limits.withDefaults(), now: cfg.Now,
		byName: map[string]int{}, byTree: map[string]int{}}
	if s.now == nil {
		s.now = time.Now
	}
	for _, d := range []string{s.dir, s.path("blobs"), s.path("trees"), s.path("tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
	}
	if _, err := s.Collect(); err != nil {
		return nil, err
	}
	return s, nil
}

// Limits returns the store's archive limits, defaults filled in.
func (s *Store) Limits() Limits { return s.lim }

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

// blobPath is where the blob of a file digest (hexadecimal) is stored.
func (s *Store) blobPath(digest string) string {
	return s.path("blobs", digest[:2], digest)
}

// TreeDir returns the directory of a tree digest ("sha256:…").
func (s *Store) TreeDir(digest string) string {
	return s.path("trees", strings.TrimPrefix(digest, "sha256:"))
}

// Put stores the tar archive r (gzip-compressed if gz, or if it starts
// with gzip's magic bytes) as a version of name. It returns the new
// version and true, or, when a version of name holds the same tree
// already, that version and false. Refused entries are *EntryError
// (ErrInvalid); past the limits, ErrTooLarge.
func (s *Store) Put(name string, r io.Reader, gz bool) (Version, bool, error) {
	if !names.Valid(name) {
		return Version{}, false, fmt.Errorf("%w: bundle name %q must match %s", ErrInvalid, name, names.Pattern)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	dirs := map[string]bool{}
	m, err := readArchive(r, gz, s.lim, func(r io.Reader, size int64) (string, error) {
		return s.putBlob(r, size, dirs)
	})
	if err != nil {
		return Version{}, false, err
	}
	digest := m.Digest()
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return Version{}, false, err
		}
	}
	if err := s.putTree(digest, m); err != nil {
		return Version{}, false, err
	}
	files, bytes := m.Stats()
	return s.idx.AddBundleVersion(Version{Name: name, Digest: digest, Files: files, Bytes: bytes,
		CreatedAt: s.now().UTC()}, m.Encode())
}

// putBlob stores size bytes of r as a blob and returns their digest. The
// blob is written under tmp/, synced, made read-only and renamed into
// place, unless that content is stored already; dirs collects the
// directories to sync before the tree that links it is committed.
func (s *Store) putBlob(r io.Reader, size int64, dirs map[string]bool) (string, error) {
	f, err := os.CreateTemp(s.path("tmp"), "blob-")
	if err != nil {
		return "", fmt.Errorf("bundle: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename: no such file
	h := sha256.New()
	src := &readErr{r: r}
	n, err := io.Copy(io.MultiWriter(f, h), src)
	switch {
	case src.err != nil: // the archive, not the disk
		err = fmt.Errorf("%w: bundle: reading the archive: %w", ErrInvalid, src.err)
	case err == nil && n != size:
		err = fmt.Errorf("%w: bundle: the archive ends inside a file", ErrInvalid)
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(0o444)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	digest := hex.EncodeToString(h.Sum(nil))
	final := s.blobPath(digest)
	if _, err := os.Lstat(final); err == nil {
		return digest, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("bundle: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("bundle: %w", err)
	}
	dirs[filepath.Dir(final)] = true
	dirs[s.path("blobs")] = true
	return digest, nil
}

// putTree builds the tree of m under tmp/, syncs it and renames it to
// TreeDir(digest), unless that tree is stored already.
func (s *Store) putTree(digest string, m Manifest) error {
	final := s.TreeDir(digest)
	if _, err := os.Lstat(final); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(s.path("tmp"), "tree-")
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	defer os.RemoveAll(tmp) // after a rename: no such directory
	if err := s.buildTree(tmp, m); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, serr := os.Lstat(final); serr == nil {
			return nil // a concurrent import of the same tree won
		}
		return fmt.Errorf("bundle: %w", err)
	}
	return syncDir(s.path("trees"))
}

// buildTree makes m's entries under root and syncs its directories.
func (s *Store) buildTree(root string, m Manifest) error {
	dirs := []string{root}
	for _, e := range m {
		p := filepath.Join(root, filepath.FromSlash(e.Path))
		var err error
		switch e.Type {
		case TypeDir:
			err = os.Mkdir(p, 0o755)
			dirs = append(dirs, p)
		case TypeFile:
			err = linkOrCopy(s.blobPath(e.Digest), p)
		case TypeSymlink:
			err = os.Symlink(e.Target, p)
		}
		if err != nil {
			return fmt.Errorf("bundle: building tree: %w", err)
		}
	}
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// linkOrCopy hard-links blob at p, or copies it where the blob has as
// many links as the file system allows.
func linkOrCopy(blob, p string) error {
	err := os.Link(blob, p)
	if !errors.Is(err, syscall.EMLINK) {
		return err
	}
	return copyFile(blob, p, 0o444)
}

// copyFile copies the regular file src to a new file dst with mode perm,
// and syncs it. On Linux the copy goes through copy_file_range, which
// shares extents where the file system can (btrfs, XFS).
func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir syncs a directory, so that the names created in it persist.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("bundle: sync %s: %w", dir, err)
	}
	return nil
}

// Versions returns a bundle's versions, oldest first.
func (s *Store) Versions(name string) ([]Version, error) {
	return s.idx.BundleVersions(name)
}

// List returns the latest version of every bundle, by name.
func (s *Store) List() ([]Version, error) {
	all, err := s.idx.Bundles()
	if err != nil {
		return nil, err
	}
	out := make([]Version, 0, len(all))
	for _, v := range all {
		if n := len(out); n > 0 && out[n-1].Name == v.Name {
			out[n-1] = v
		} else {
			out = append(out, v)
		}
	}
	return out, nil
}

// Resolve returns a version of name (0: the latest).
func (s *Store) Resolve(name string, version int) (Version, error) {
	vs, err := s.idx.BundleVersions(name)
	if err != nil {
		return Version{}, err
	}
	if version == 0 {
		return vs[len(vs)-1], nil
	}
	for _, v := range vs {
		if v.Version == version {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("%w: bundle %q has no version %d", ErrNotFound, name, version)
}

// Manifest returns the entries of a version of name (0: the latest).
func (s *Store) Manifest(name string, version int) (Version, Manifest, error) {
	v, err := s.Resolve(name, version)
	if err != nil {
		return v, nil, err
	}
	raw, err := s.idx.BundleManifest(v.Digest)
	if err != nil {
		return v, nil, err
	}
	m, err := DecodeManifest(raw)
	return v, m, err
}

// Delete removes a bundle's versions, then collects the files no other
// version uses and no mount holds. It does not look at mounts: the caller
// decides (see InUse).
func (s *Store) Delete(name string) error {
	if err := s.idx.DeleteBundle(name); err != nil {
		return err
	}
	_, err := s.Collect()
	return err
}

// Len returns the count of stored bundle names (0 if the index cannot be
// read).
func (s *Store) Len() int {
	vs, err := s.List()
	if err != nil {
		return 0
	}
	return len(vs)
}

// readErr remembers the error its reader returned, other than io.EOF.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
