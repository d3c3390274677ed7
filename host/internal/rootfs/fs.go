// Package rootfs is a wazero file system confined to one host directory
// by os.Root: every path the guest names, and every symbolic link on the
// way, resolves inside the directory, so that a guest cannot leave it
// through "..", an absolute link, or a link it made itself. wazero's own
// directory mounts (sysfs.DirFS) follow host links wherever they point.
package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"
)

// FS is a writable file system over an os.Root. It implements
// experimentalsys.FS; Close the root when the task is done.
type FS struct {
	experimentalsys.UnimplementedFS
	root *os.Root
}

// New returns the writable file system of root.
func New(root *os.Root) *FS { return &FS{root: root} }

// ReadOnly returns a read-only file system of root: opening for writing
// (or to create or truncate), and every change, fail with EROFS.
func ReadOnly(root *os.Root) experimentalsys.FS {
	return readOnly{&sysfs.ReadFS{FS: New(root)}}
}

// readOnly is wazero's ReadFS, which answers an open for writing with
// ENOSYS and passes O_CREAT of a read-only open through, answering EROFS
// to both instead.
type readOnly struct{ *sysfs.ReadFS }

// writeFlags are the open flags that write or create.
const writeFlags = experimentalsys.O_WRONLY | experimentalsys.O_RDWR | experimentalsys.O_CREAT |
	experimentalsys.O_TRUNC | experimentalsys.O_APPEND | experimentalsys.O_EXCL

// OpenFile implements experimentalsys.FS.
func (r readOnly) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if flag&writeFlags != 0 {
		if flag&experimentalsys.O_DIRECTORY != 0 {
			return nil, experimentalsys.EISDIR
		}
		return nil, experimentalsys.EROFS
	}
	return r.ReadFS.OpenFile(p, flag, perm)
}

// name turns a guest path relative to the mount into an os.Root name.
func name(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// errno converts an error of os.Root: an OS error keeps its errno; a path
// the root refuses (it escapes the directory) is EACCES.
func errno(err error) experimentalsys.Errno {
	if err == nil {
		return 0
	}
	var se syscall.Errno
	if errors.As(err, &se) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrClosed) || errors.Is(err, fs.ErrInvalid) {
		return experimentalsys.UnwrapOSError(err)
	}
	return experimentalsys.EACCES
}

// OpenFile implements experimentalsys.FS.
func (f *FS) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	file, e := open(f.root, name(p), flag, perm)
	if e != 0 {
		return nil, e
	}
	if flag&experimentalsys.O_DIRECTORY != 0 {
		if dir, e := file.IsDir(); e != 0 || !dir {
			file.Close()
			if e == 0 {
				e = experimentalsys.ENOTDIR
			}
			return nil, e
		}
	}
	return file, 0
}

// Lstat implements experimentalsys.FS.
func (f *FS) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) {
	fi, err := f.root.Lstat(name(p))
	if err != nil {
		return sys.Stat_t{}, errno(err)
	}
	return sys.NewStat_t(fi), 0
}

// Stat implements experimentalsys.FS.
func (f *FS) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	fi, err := f.root.Stat(name(p))
	if err != nil {
		return sys.Stat_t{}, errno(err)
	}
	return sys.NewStat_t(fi), 0
}

// Mkdir implements experimentalsys.FS.
func (f *FS) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	return errno(f.root.Mkdir(name(p), perm))
}

// Chmod implements experimentalsys.FS.
func (f *FS) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	return errno(f.root.Chmod(name(p), perm))
}

// Rename implements experimentalsys.FS.
func (f *FS) Rename(from, to string) experimentalsys.Errno {
	return errno(f.root.Rename(name(from), name(to)))
}

// Rmdir implements experimentalsys.FS.
func (f *FS) Rmdir(p string) experimentalsys.Errno {
	fi, err := f.root.Lstat(name(p))
	if err != nil {
		return errno(err)
	}
	if !fi.IsDir() {
		return experimentalsys.ENOTDIR
	}
	return errno(f.root.Remove(name(p)))
}

// Unlink implements experimentalsys.FS.
func (f *FS) Unlink(p string) experimentalsys.Errno {
	fi, err := f.root.Lstat(name(p))
	if err != nil {
		return errno(err)
	}
	if fi.IsDir() {
		return experimentalsys.EISDIR
	}
	return errno(f.root.Remove(name(p)))
}

// Link implements experimentalsys.FS.
func (f *FS) Link(oldPath, newPath string) experimentalsys.Errno {
	return errno(f.root.Link(name(oldPath), name(newPath)))
}

// Symlink implements experimentalsys.FS. The link may point anywhere;
// following it never leaves the root.
func (f *FS) Symlink(oldPath, linkName string) experimentalsys.Errno {
	return errno(f.root.Symlink(oldPath, name(linkName)))
}

// Readlink implements experimentalsys.FS.
func (f *FS) Readlink(p string) (string, experimentalsys.Errno) {
	t, err := f.root.Readlink(name(p))
	return t, errno(err)
}

// Utimens implements experimentalsys.FS.
func (f *FS) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	fi, err := f.root.Stat(name(p))
	if err != nil {
		return errno(err)
	}
	a, m := times(sys.NewStat_t(fi), atim, mtim)
	return errno(f.root.Chtimes(name(p), a, m))
}

// times returns the times Utimens sets: the given ones, or st's where
// UTIME_OMIT.
func times(st sys.Stat_t, atim, mtim int64) (time.Time, time.Time) {
	if atim == experimentalsys.UTIME_OMIT {
		atim = st.Atim
	}
	if mtim == experimentalsys.UTIME_OMIT {
		mtim = st.Mtim
	}
	return time.Unix(0, atim), time.Unix(0, mtim)
}

// osFlags converts wazero's open flags to os.OpenFile's.
func osFlags(oflag experimentalsys.Oflag) int {
	flag := os.O_RDONLY
	switch oflag & (experimentalsys.O_RDONLY | experimentalsys.O_RDWR | experimentalsys.O_WRONLY) {
	case experimentalsys.O_RDWR:
		flag = os.O_RDWR
	case experimentalsys.O_WRONLY:
		flag = os.O_WRONLY
	}
	for _, m := range []struct {
		w  experimentalsys.Oflag
		os int
	}{
		{experimentalsys.O_APPEND, os.O_APPEND}, {experimentalsys.O_CREAT, os.O_CREATE},
		{experimentalsys.O_EXCL, os.O_EXCL}, {experimentalsys.O_SYNC, os.O_SYNC},
		{experimentalsys.O_TRUNC, os.O_TRUNC}, {experimentalsys.O_DIRECTORY, oDirectory},
		{experimentalsys.O_NOFOLLOW, oNoFollow}, {experimentalsys.O_DSYNC, oDsync},
	} {
		if oflag&m.w != 0 {
			flag |= m.os
		}
	}
	return flag
}
