//go:build unix

package bundle

import (
	"io/fs"
	"syscall"
)

// linkedElsewhere reports whether a blob file has another hard link (a
// mounted tree still holds it).
func linkedElsewhere(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink > 1
}
