package bundle

import (
	"fmt"

	"github.com/nexustask/nexus/internal/errkind"
)

// Errors of the Store. Each is a kind of internal/errkind, so the API
// answers it with its code.
var (
	// ErrNotFound means no bundle, or no such version, has that name
	// (404 bundle_not_found).
	ErrNotFound = errkind.ErrBundleNotFound
	// ErrInvalid wraps every reason an archive, a name or a mount is
	// refused (400 invalid_request).
	ErrInvalid = errkind.ErrInvalidRequest
	// ErrTooLarge means an archive holds more bytes or more entries than
	// the Store's limits (413 too_large).
	ErrTooLarge = errkind.ErrTooLarge
	// ErrInUse means a bundle is mounted by a task that is queued or
	// running (409 conflict).
	ErrInUse = errkind.ErrConflict
)

// EntryError is an archive entry the Store refuses: an absolute path, a
// path through "..", a device file, a link that leaves the tree, and so on.
// It wraps ErrInvalid, and names the entry as the archive spells it.
type EntryError struct {
	Entry  string
	Reason string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("bundle: entry %q: %s", e.Entry, e.Reason)
}

// Unwrap returns ErrInvalid.
func (e *EntryError) Unwrap() error { return ErrInvalid }
