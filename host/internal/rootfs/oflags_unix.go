//go:build unix

package rootfs

import "syscall"

// Open flags of the host without an os package constant.
const (
	oDirectory = syscall.O_DIRECTORY
	oNoFollow  = syscall.O_NOFOLLOW
	oDsync     = syscall.O_DSYNC
)
