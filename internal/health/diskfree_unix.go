//go:build unix

package health

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// DiskFree returns the bytes available to an unprivileged writer on the
// file system holding path.
func DiskFree(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("health: statfs %s: %w", path, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
