package nexus

import (
	"strconv"

	"github.com/nexustask/nexus/abi"
)

// Code is a negative result code of a nexus_v1 import. The constants below
// are errors themselves, for use with errors.Is.
type Code int32

// Result codes of ABI v1 (see abi/ABI.md).
const (
	// ErrNotFound: the key, value or checkpoint does not exist.
	ErrNotFound Code = Code(abi.ErrNotFound)
	// ErrLimit: a size limit was reached (output cap, value size, kv
	// namespace total, checkpoint size).
	ErrLimit Code = Code(abi.ErrLimit)
	// ErrDenied: the task lacks the capability (no kv store, or a pure
	// module writing kv).
	ErrDenied Code = Code(abi.ErrDenied)
	// ErrInvalid: an argument is malformed (an empty or oversize key).
	ErrInvalid Code = Code(abi.ErrInvalid)
	// ErrInternal: the host failed (a storage error); the task may retry.
	ErrInternal Code = Code(abi.ErrInternal)
	// ErrFailed: the awaited child task failed, died or was canceled.
	ErrFailed Code = Code(abi.ErrFailed)
)

// Error describes the code.
func (c Code) Error() string {
	switch c {
	case ErrNotFound:
		return "nexus: not found"
	case ErrLimit:
		return "nexus: limit reached"
	case ErrDenied:
		return "nexus: denied"
	case ErrInvalid:
		return "nexus: invalid argument"
	case ErrInternal:
		return "nexus: host internal error"
	case ErrFailed:
		return "nexus: child task failed"
	}
	return "nexus: result code " + strconv.Itoa(int(c))
}

// CallError is a failed call of a nexus_v1 import. It unwraps to its Code.
type CallError struct {
	Import string // the import's name, for example "kv_set"
	Code   Code
}

// Error names the import and the code, for example
// "nexus: kv_set: limit reached".
func (e *CallError) Error() string {
	return "nexus: " + e.Import + ": " + e.Code.Error()[len("nexus: "):]
}

// Unwrap returns e.Code, so errors.Is(err, ErrLimit) matches.
func (e *CallError) Unwrap() error { return e.Code }

// callErr returns nil for a non-negative result and a *CallError otherwise.
func callErr(imp string, r int32) error {
	if r >= 0 {
		return nil
	}
	return &CallError{Import: imp, Code: Code(r)}
}

// TaskError, returned (possibly wrapped) by a task function, chooses what
// nexus_run returns. Any other error makes nexus_run report err.Error() and
// return 1.
type TaskError struct {
	// Code is what nexus_run returns; 0 is replaced by 1, since a task
	// function that returns an error has failed.
	Code int32
	// Message is passed to error_set unless it is empty; the host then
	// reports "nexus_run returned <Code>".
	Message string
}

// Error returns the message, or "task failed with code N" if it is empty.
func (e *TaskError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return "task failed with code " + strconv.Itoa(int(e.Code))
}
