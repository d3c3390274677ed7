package modules

import "github.com/nexustask/nexus/internal/errkind"

// Errors returned by the Registry and by Store implementations. They are
// kinds of internal/errkind, named here for the registry's callers:
// errors.Is matches through either name.
var (
	// ErrNotFound means no module (or no such version) has that name.
	ErrNotFound = errkind.ErrModuleNotFound
	// ErrInvalidName means the name does not match [a-z0-9][a-z0-9._-]{0,63}.
	ErrInvalidName = errkind.ErrModuleInvalidName
	// ErrTooLarge means the upload is larger than Config.MaxBytes.
	ErrTooLarge = errkind.ErrModuleTooLarge
	// ErrInvalid wraps every reason the bytes are not an acceptable module.
	ErrInvalid = errkind.ErrModuleInvalid
	// ErrInvalidOption means an upload option (such as the isolation mode)
	// has no valid value.
	ErrInvalidOption = errkind.ErrModuleInvalidOption
	// ErrCorrupt means what the store holds of a module (its record, its
	// bytes) is damaged, so the registry refuses to run it; Registry.Corrupt
	// lists such objects. Uploading the module's bytes again repairs it.
	ErrCorrupt = errkind.ErrModuleCorrupt
)
