package cache

import "errors"

// Errors returned to callers of the cache.
var (
	// ErrNotCacheable means a request asked for caching of a task whose
	// result is not a function of the request: its module does not declare
	// itself pure, or it is granted a real clock or a random source.
	ErrNotCacheable = errors.New("cache: task is not cacheable")
	// ErrInvalid means a cache request is malformed: a TTL out of range, a
	// bad tag or key.
	ErrInvalid = errors.New("cache: invalid request")
	// ErrClosed means the cache has been closed.
	ErrClosed = errors.New("cache: closed")
)

// errAborted is what waiting callers see when the computation they waited
// for ended without a result (it panicked); they then run it themselves.
var errAborted = errors.New("cache: computation aborted")
