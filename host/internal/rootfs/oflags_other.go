//go:build !unix

package rootfs

import "os"

// Open flags of the host without an os package constant. Where the host
// has no such flags, os.Root's own checks keep opens inside the root, and
// a data sync is a full sync.
const (
	oDirectory = 0
	oNoFollow  = 0
	oDsync     = os.O_SYNC
)
