package scratch

import experimentalsys "github.com/tetratelabs/wazero/experimental/sys"

// Over returns base under a quota of limit bytes, of which used are
// taken already (by the files base holds when the task starts, counted
// as Size does). Like New's, it refuses hard and symbolic links; see
// Links.
func Over(base experimentalsys.FS, limit, used int64) *FS {
	return &FS{FS: base, q: &quota{limit: limit, used: used}}
}

// Size is what a tree of files bytes and entries entries costs against a
// quota.
func Size(bytes int64, entries int) int64 { return bytes + int64(entries)*inodeBytes }

// Links is an FS that also lets the guest make symbolic links, each
// charged as an entry and its target's bytes. Use it only over a base
// that confines links to its directory (host/internal/rootfs), so that a
// link pointing outside leads nowhere.
type Links struct{ *FS }

// Symlink implements experimentalsys.FS.
func (l Links) Symlink(oldPath, linkName string) experimentalsys.Errno {
	n := inodeBytes + int64(len(oldPath))
	if !l.q.charge(n) {
		return experimentalsys.EIO
	}
	errno := l.FS.FS.Symlink(oldPath, linkName)
	if errno != 0 {
		l.q.charge(-n)
	}
	return errno
}
