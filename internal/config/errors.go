package config

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownKey is a key that names no flag.
var ErrUnknownKey = errors.New("config: unknown key")

// KeyError is a key the configuration refuses: unknown, of the wrong
// type, or with a value the flag does not accept.
type KeyError struct {
	Key    string // the key, i.e. the flag's name
	Origin string // where it was set: "FILE:LINE", "FILE" or "NEXUS_KEY"
	Err    error
}

func (e *KeyError) Error() string {
	if e.Origin == "" {
		return fmt.Sprintf("config: key %q: %v", e.Key, e.Err)
	}
	return fmt.Sprintf("config: %s: key %q: %v", e.Origin, e.Key, e.Err)
}

// Unwrap returns the reason.
func (e *KeyError) Unwrap() error { return e.Err }

// RefusedError is a change of keys that cannot change while the server
// runs, or that no value of theirs would be accepted for.
type RefusedError struct {
	Keys []string // sorted
}

func (e *RefusedError) Error() string {
	return "config: these keys cannot change without a restart: " + strings.Join(e.Keys, ", ")
}
