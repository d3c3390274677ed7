package modules

import "errors"

// Errors returned by the Registry and by Store implementations.
var (
	// ErrNotFound means no module (or no such version) has that name.
	ErrNotFound = errors.New("modules: not found")
	// ErrInvalidName means the name does not match [a-z0-9][a-z0-9._-]{0,63}.
	ErrInvalidName = errors.New("modules: invalid name")
	// ErrTooLarge means the upload is larger than Config.MaxBytes.
	ErrTooLarge = errors.New("modules: module too large")
	// ErrInvalid wraps every reason the bytes are not an acceptable module.
	ErrInvalid = errors.New("modules: invalid module")
	// ErrInvalidOption means an upload option (such as the isolation mode)
	// has no valid value.
	ErrInvalidOption = errors.New("modules: invalid option")
	// ErrCorrupt means what the store holds of a module (its record, its
	// bytes) is damaged, so the registry refuses to run it; Registry.Corrupt
	// lists such objects. Uploading the module's bytes again repairs it.
	ErrCorrupt = errors.New("modules: stored module is corrupt")
)
