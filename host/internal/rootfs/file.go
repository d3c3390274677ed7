package rootfs

import (
	"io/fs"
	"os"
	"syscall"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// opener opens one path through the root with fixed flags: the fs.FS
// that wazero's file adapter (sysfs.AdaptFS) reads, writes, seeks and
// lists an *os.File through, and reopens a directory through to rewind
// it. It remembers the file it opened last.
type opener struct {
	root *os.Root
	flag int
	perm fs.FileMode
	last *os.File
}

// Open implements fs.FS.
func (o *opener) Open(name string) (fs.File, error) {
	f, err := o.root.OpenFile(name, o.flag, o.perm)
	if err != nil {
		if errno(err) == experimentalsys.EACCES {
			err = &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES} // left the root
		}
		return nil, err
	}
	o.last = f
	return f, nil
}

// open opens name (an os.Root name) with wazero's flags as a File.
func open(root *os.Root, name string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	o := &opener{root: root, flag: osFlags(flag), perm: perm}
	f, e := (&sysfs.AdaptFS{FS: o}).OpenFile(name, flag, perm)
	if e != 0 {
		return nil, e
	}
	return &file{File: f, o: o, append: flag&experimentalsys.O_APPEND != 0}, 0
}

// file adds to wazero's adapted file what a writable one needs:
// truncation, sync and the append flag.
type file struct {
	experimentalsys.File
	o      *opener
	append bool
}

// IsAppend implements experimentalsys.File.
func (f *file) IsAppend() bool { return f.append }

// SetAppend implements experimentalsys.File: the mode is fixed at open.
func (f *file) SetAppend(enable bool) experimentalsys.Errno {
	if enable != f.append {
		return experimentalsys.ENOSYS
	}
	return 0
}

// Truncate implements experimentalsys.File.
func (f *file) Truncate(size int64) experimentalsys.Errno {
	if size < 0 {
		return experimentalsys.EINVAL
	}
	return errno(f.o.last.Truncate(size))
}

// Sync implements experimentalsys.File.
func (f *file) Sync() experimentalsys.Errno { return errno(f.o.last.Sync()) }

// Datasync implements experimentalsys.File.
func (f *file) Datasync() experimentalsys.Errno { return f.Sync() }
