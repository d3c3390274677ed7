package cache

import (
	"errors"

	"github.com/nexustask/nexus/internal/errkind"
)

// Errors returned to callers of the cache. ErrNotCacheable and ErrInvalid
// are kinds of internal/errkind, named here for the cache's callers:
// errors.Is matches through either name.
var (
	// ErrNotCacheable means a request asked for caching of a task whose
	// result is not a function of the request: its module does not declare
	// itself pure, or it is granted a real clock or a random source.
	ErrNotCacheable = errkind.ErrNotCacheable
	// ErrInvalid means a cache request is malformed: a TTL out of range, a
	// bad tag or key.
	ErrInvalid = errkind.ErrCacheInvalid
	// ErrClosed means the cache has been closed.
	ErrClosed = errors.New("cache: closed")
)

// errAborted is what waiting callers see when the computation they waited
// for ended without a result (it panicked); they then run it themselves.
var errAborted = errors.New("cache: computation aborted")
