//go:build wasip1

package nexus

import "unsafe"

// Spawn starts a child task of module ("NAME" or "NAME@VERSION") with
// input, and returns its handle. options is a JSON object of task fields
// (priority, category, fuel, memory_bytes, timeout_ms, max_retries, tags,
// config), or nil; the child inherits the task's priority and category
// unless they are given. A task retried after a failure or a crash gets
// the same children back, spawn for spawn, so spawn them in the same
// order on every attempt. Errors: ErrNotFound (no such module), ErrInvalid
// (a malformed name or options), ErrLimit, ErrDenied (the host cannot
// spawn), ErrInternal.
func Spawn(module string, input, options []byte) (Handle, error) {
	r := taskSpawn(stringPtr(module), uint32(len(module)), bytesPtr(input), uint32(len(input)),
		bytesPtr(options), uint32(len(options)))
	if r < 0 {
		return 0, callErr("task_spawn", r)
	}
	return Handle(r), nil
}

// Await waits until the child of h has finished, giving the task's worker
// token back meanwhile, and returns its output. A child that did not
// succeed is ErrFailed; ErrLimit means the host holds as many waiting
// tasks as it allows. Awaiting a handle again returns the same result.
func Await(h Handle) ([]byte, error) {
	out, r := fetch(func(ptr unsafe.Pointer, capacity uint32) int32 {
		return taskAwait(int32(h), ptr, capacity)
	})
	if r < 0 {
		return nil, callErr("task_await", r)
	}
	return out, nil
}

// AwaitAny waits until one of the children of hs has finished and returns
// its index in hs (the lowest of those finished); Await on it then
// returns at once. Remove it from hs before the next call.
func AwaitAny(hs []Handle) (int, error) {
	if len(hs) == 0 {
		return 0, callErr("task_await_any", int32(ErrInvalid))
	}
	r := taskAwaitAny(unsafe.Pointer(unsafe.SliceData(hs)), uint32(len(hs)))
	if r < 0 {
		return 0, callErr("task_await_any", r)
	}
	return int(r), nil
}
