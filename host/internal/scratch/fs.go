// Package scratch is the file system of a granted scratch directory: a
// host directory mounted for one task, holding at most a quota of bytes.
package scratch

import (
	"io"
	"io/fs"
	"sync"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// inodeBytes is what creating a file or directory costs against a scratch
// quota, so that a guest cannot exhaust the host with empty files.
const inodeBytes = 4096

// quota counts the bytes a task's scratch directory holds.
type quota struct {
	mu    sync.Mutex
	used  int64
	limit int64
}

// charge reserves n bytes (n may be negative to release), failing without
// reserving anything if the quota would be passed.
func (q *quota) charge(n int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n > 0 && q.used+n > q.limit {
		return false
	}
	q.used = max(q.used+n, 0)
	return true
}

// FS is a directory on the host, mounted for one task, whose files
// and directories may hold at most the quota's bytes. Writes past it fail
// with EIO (WASI preview 1 has no ENOSPC in wazero's set). Hard and
// symbolic links are refused so that nothing points outside the directory
// and sizes stay countable.
type FS struct {
	experimentalsys.FS
	q *quota
}

// New returns the scratch file system of dir, holding at most limit bytes.
func New(dir string, limit int64) *FS {
	return &FS{FS: sysfs.DirFS(dir), q: &quota{limit: limit}}
}

func (s *FS) sizeOf(path string) (int64, bool) {
	st, errno := s.FS.Lstat(path)
	if errno != 0 {
		return 0, false
	}
	return st.Size, true
}

// OpenFile implements experimentalsys.FS.
func (s *FS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	size, existed := s.sizeOf(path)
	created := !existed && flag&experimentalsys.O_CREAT != 0
	if created && !s.q.charge(inodeBytes) {
		return nil, experimentalsys.EIO
	}
	f, errno := s.FS.OpenFile(path, flag, perm)
	if errno != 0 {
		if created {
			s.q.charge(-inodeBytes)
		}
		return nil, errno
	}
	if existed && flag&experimentalsys.O_TRUNC != 0 {
		s.q.charge(-size)
	}
	return &file{File: f, q: s.q, append: flag&experimentalsys.O_APPEND != 0}, 0
}

// Mkdir implements experimentalsys.FS.
func (s *FS) Mkdir(path string, perm fs.FileMode) experimentalsys.Errno {
	if !s.q.charge(inodeBytes) {
		return experimentalsys.EIO
	}
	errno := s.FS.Mkdir(path, perm)
	if errno != 0 {
		s.q.charge(-inodeBytes)
	}
	return errno
}

// Rmdir implements experimentalsys.FS.
func (s *FS) Rmdir(path string) experimentalsys.Errno {
	errno := s.FS.Rmdir(path)
	if errno == 0 {
		s.q.charge(-inodeBytes)
	}
	return errno
}

// Unlink implements experimentalsys.FS.
func (s *FS) Unlink(path string) experimentalsys.Errno {
	size, _ := s.sizeOf(path)
	errno := s.FS.Unlink(path)
	if errno == 0 {
		s.q.charge(-size - inodeBytes)
	}
	return errno
}

// Rename implements experimentalsys.FS. A file replaced by the rename
// releases its bytes.
func (s *FS) Rename(from, to string) experimentalsys.Errno {
	size, replaced := s.sizeOf(to)
	errno := s.FS.Rename(from, to)
	if errno == 0 && replaced {
		s.q.charge(-size - inodeBytes)
	}
	return errno
}

// Link implements experimentalsys.FS: refused.
func (s *FS) Link(string, string) experimentalsys.Errno { return experimentalsys.EPERM }

// Symlink implements experimentalsys.FS: refused.
func (s *FS) Symlink(string, string) experimentalsys.Errno { return experimentalsys.EPERM }

// file charges a scratch quota for the bytes its writes add.
type file struct {
	experimentalsys.File
	q      *quota
	append bool
}

// growth returns how many bytes writing n bytes at off adds to the file.
func (f *file) growth(off int64, n int) (int64, experimentalsys.Errno) {
	st, errno := f.File.Stat()
	if errno != 0 {
		return 0, errno
	}
	if f.append {
		off = st.Size
	}
	return max(off+int64(n)-st.Size, 0), 0
}

func (f *file) write(buf []byte, off int64, do func() (int, experimentalsys.Errno)) (int, experimentalsys.Errno) {
	g, errno := f.growth(off, len(buf))
	if errno != 0 {
		return 0, errno
	}
	if !f.q.charge(g) {
		return 0, experimentalsys.EIO
	}
	n, errno := do()
	if short := int64(len(buf) - n); short > 0 {
		f.q.charge(-min(short, g))
	}
	return n, errno
}

// Write implements experimentalsys.File.
func (f *file) Write(buf []byte) (int, experimentalsys.Errno) {
	off, errno := f.File.Seek(0, io.SeekCurrent)
	if errno != 0 {
		return 0, errno
	}
	return f.write(buf, off, func() (int, experimentalsys.Errno) { return f.File.Write(buf) })
}

// Pwrite implements experimentalsys.File.
func (f *file) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	return f.write(buf, off, func() (int, experimentalsys.Errno) { return f.File.Pwrite(buf, off) })
}

// Truncate implements experimentalsys.File.
func (f *file) Truncate(size int64) experimentalsys.Errno {
	st, errno := f.File.Stat()
	if errno != 0 {
		return errno
	}
	if !f.q.charge(size - st.Size) {
		return experimentalsys.EIO
	}
	if errno := f.File.Truncate(size); errno != 0 {
		f.q.charge(st.Size - size)
		return errno
	}
	return 0
}
