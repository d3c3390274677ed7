//go:build wasip1

package nexus

import "unsafe"

// SaveCheckpoint keeps state as the task's checkpoint, replacing the last
// one. For a durable task the checkpoint outlives the attempt: a retry's
// LoadCheckpoint returns it, so long jobs resume where they stopped. It
// returns a *CallError for ErrLimit if state is over 1 MiB.
func SaveCheckpoint(state []byte) error {
	return callErr("checkpoint_save", checkpointSave(bytesPtr(state), uint32(len(state))))
}

// LoadCheckpoint returns the last checkpoint saved for this task, with
// found false if there is none.
func LoadCheckpoint() (state []byte, found bool, err error) {
	v, r := fetch(func(ptr unsafe.Pointer, capacity uint32) int32 {
		return checkpointLoad(ptr, capacity)
	})
	return valueResult(v, r, "checkpoint_load")
}

// valueResult maps a fetch result to the (value, found, error) triple.
func valueResult(v []byte, r int32, imp string) ([]byte, bool, error) {
	switch {
	case r == int32(ErrNotFound):
		return nil, false, nil
	case r < 0:
		return nil, false, callErr(imp, r)
	}
	return v, true, nil
}
