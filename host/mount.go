package host

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nexustask/nexus/host/internal/rootfs"
	"github.com/nexustask/nexus/host/internal/scratch"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// Mount preopens a directory of the host for a task: a data bundle's
// tree. Every path the guest opens through it, links included, resolves
// inside Dir (host/internal/rootfs confines it with os.Root).
type Mount struct {
	// Dir is the directory on the host.
	Dir string
	// GuestPath is where the guest sees it: an absolute, clean path; "/"
	// is allowed.
	GuestPath string
	// Writable gives the task its own copy of Dir, writable up to the
	// grant's scratch size (Grants.ScratchBytes, the copy included) and
	// removed when the task ends, so tasks never see each other's writes.
	// Otherwise Dir is preopened read-only, without a copy: opening a file
	// for writing, and every change, fails with EROFS.
	Writable bool
	// Digest names Dir's content, for the result-cache key; the host does
	// not read it.
	Digest string
}

// checkMounts refuses mounts whose guest paths are not absolute and clean,
// repeat, or take the scratch directory's place.
func (g Grants) checkMounts() error {
	seen := map[string]bool{}
	if g.Scratch {
		seen[ScratchGuestPath] = true
	}
	for _, m := range g.Mounts {
		p := m.GuestPath
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.IndexByte(p, 0) >= 0 {
			return fmt.Errorf("host: mount path %q must be absolute and clean", p)
		}
		if seen[p] {
			return fmt.Errorf("host: mount path %q is taken", p)
		}
		seen[p] = true
	}
	return nil
}

// mountFS returns the file system of m and its cleanup, which is never
// nil: a read-only view of m.Dir, or a writable copy of it under
// scratchParent holding at most limit bytes.
func mountFS(m Mount, scratchParent string, limit int64) (experimentalsys.FS, func(), error) {
	if !m.Writable {
		root, err := os.OpenRoot(m.Dir)
		if err != nil {
			return nil, nil, fmt.Errorf("host: mount %s: %w", m.GuestPath, err)
		}
		return rootfs.ReadOnly(root), func() { root.Close() }, nil
	}
	dir, err := os.MkdirTemp(scratchParent, "nexus-mount-")
	if err != nil {
		return nil, nil, fmt.Errorf("host: mount %s: %w", m.GuestPath, err)
	}
	remove := func() { os.RemoveAll(dir) }
	bytes, entries, err := copyTree(m.Dir, dir, limit)
	if err != nil {
		remove()
		return nil, nil, fmt.Errorf("host: mount %s: %w", m.GuestPath, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		remove()
		return nil, nil, fmt.Errorf("host: mount %s: %w", m.GuestPath, err)
	}
	q := scratch.Over(rootfs.New(root), limit, scratch.Size(bytes, entries))
	return scratch.Links{FS: q}, func() { root.Close(); remove() }, nil
}

// copyTree copies the tree src (regular files, directories and symbolic
// links) into the empty directory dst, files writable, failing once it
// would cost more than limit (scratch.Size). It returns the files' bytes
// and the count of entries.
func copyTree(src, dst string, limit int64) (bytes int64, entries int, err error) {
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "." {
			return nil
		}
		to := filepath.Join(dst, rel)
		entries++
		switch {
		case d.IsDir():
			err = os.Mkdir(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			var t string
			if t, err = os.Readlink(p); err == nil {
				err = os.Symlink(t, to)
			}
		case d.Type().IsRegular():
			var n int64
			n, err = copyFile(p, to)
			bytes += n
		default:
			err = fmt.Errorf("%s is not a file, directory or link", rel)
		}
		if err == nil && scratch.Size(bytes, entries) > limit {
			err = fmt.Errorf("the copy needs more than the scratch size of %d bytes (scratch_bytes)", limit)
		}
		return err
	})
	return bytes, entries, err
}

// copyFile copies the regular file src to the new file dst. On Linux
// io.Copy between files uses copy_file_range, which shares extents where
// the file system can (a reflink on btrfs or XFS).
func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}
