package host

import (
	"bytes"
	"context"
	"errors"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero/api"
)

// Limits of the kv imports.
const (
	// MaxKVKeyBytes bounds a kv key.
	MaxKVKeyBytes = 1 << 10
	// MaxKVValueBytes bounds a kv value.
	MaxKVValueBytes = 1 << 20
	// DefaultKVNamespaceBytes is the default per-module total of key and
	// value bytes (Config.KVNamespaceBytes).
	DefaultKVNamespaceBytes = 64 << 20
)

// ErrKVFull is returned by KV.Set when the namespace would pass its total.
var ErrKVFull = errors.New("host: kv namespace full")

// KV is the durable key-value store behind the kv imports. Each module has
// its own namespace. Implementations are safe for concurrent use and make
// each call atomic; values returned are the caller's to keep. Every
// implementation passes the contract suite internal/store/storetest.RunKV.
type KV interface {
	// Get returns the value of key in ns, or found false.
	Get(ns, key string) (value []byte, found bool, err error)
	// Set stores value under key in ns, failing with ErrKVFull if the
	// namespace's key and value bytes would pass maxTotal (a replaced
	// value's bytes no longer count). An empty value is stored: Get
	// finds it.
	Set(ns, key string, value []byte, maxTotal int64) error
	// Delete removes key from ns and reports whether it was there.
	Delete(ns, key string) (found bool, err error)
}

// kvGet is nexus_v1.kv_get(kptr, klen, vptr, vcap i32) -> i32. It returns
// the length of the value of key [kptr, kptr+klen) and copies it to
// [vptr, vptr+vcap) if it fits (a result above vcap means "call again with
// a buffer this large"); ERR_NOT_FOUND if the key has no value; ERR_INVALID
// for an empty key or one over MaxKVKeyBytes; ERR_DENIED if the task has no
// kv store or for a pure module (whose result may depend only on its input
// and configuration); ERR_INTERNAL if the store failed. Both ranges are
// bounds-checked before anything else: either out of range traps, even
// when nothing would be copied.
func kvGet(ctx context.Context, mod api.Module, stack []uint64) {
	t := taskFrom(ctx)
	key := guestBytes(mod, abi.ImportKVGet, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	dst := guestBytes(mod, abi.ImportKVGet, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	t.kvOps++
	if code := t.kvRefuse(key); code != 0 {
		stack[0] = api.EncodeI32(code)
		return
	}
	var v []byte
	var found bool
	var err error
	ns, k := t.namespace, string(key)
	t.bounded(ctx, func() { v, found, err = t.kv.Get(ns, k) })
	switch {
	case err != nil:
		stack[0] = api.EncodeI32(abi.ErrInternal)
	case !found:
		stack[0] = api.EncodeI32(abi.ErrNotFound)
	default:
		stack[0] = api.EncodeI32(copyOut(dst, v))
	}
}

// kvSet is nexus_v1.kv_set(kptr, klen, vptr, vlen i32) -> i32. It stores the
// value [vptr, vptr+vlen) under the key and returns 0; ERR_LIMIT for a value
// over MaxKVValueBytes or a full namespace; ERR_INVALID for a bad key;
// ERR_DENIED without a kv store or for a pure module; ERR_INTERNAL if the
// store failed. Both ranges are bounds-checked first: out of range traps.
func kvSet(ctx context.Context, mod api.Module, stack []uint64) {
	t := taskFrom(ctx)
	key := guestBytes(mod, abi.ImportKVSet, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	v := guestBytes(mod, abi.ImportKVSet, api.DecodeU32(stack[2]), api.DecodeU32(stack[3]))
	t.kvOps++
	if code := t.kvRefuse(key); code != 0 {
		stack[0] = api.EncodeI32(code)
		return
	}
	if len(v) > MaxKVValueBytes {
		stack[0] = api.EncodeI32(abi.ErrLimit)
		return
	}
	var err error
	ns, k, val, max := t.namespace, string(key), bytes.Clone(v), t.kvMax
	t.bounded(ctx, func() { err = t.kv.Set(ns, k, val, max) })
	switch {
	case errors.Is(err, ErrKVFull):
		stack[0] = api.EncodeI32(abi.ErrLimit)
	case err != nil:
		stack[0] = api.EncodeI32(abi.ErrInternal)
	default:
		stack[0] = 0
	}
}

// kvDelete is nexus_v1.kv_delete(kptr, klen i32) -> i32. It removes the key
// and returns 0, or ERR_NOT_FOUND if it had no value; ERR_INVALID for a bad
// key; ERR_DENIED without a kv store or for a pure module; ERR_INTERNAL if
// the store failed. The key's range is bounds-checked first: out of range
// traps.
func kvDelete(ctx context.Context, mod api.Module, stack []uint64) {
	t := taskFrom(ctx)
	key := guestBytes(mod, abi.ImportKVDelete, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]))
	t.kvOps++
	if code := t.kvRefuse(key); code != 0 {
		stack[0] = api.EncodeI32(code)
		return
	}
	var found bool
	var err error
	ns, k := t.namespace, string(key)
	t.bounded(ctx, func() { found, err = t.kv.Delete(ns, k) })
	switch {
	case err != nil:
		stack[0] = api.EncodeI32(abi.ErrInternal)
	case !found:
		stack[0] = api.EncodeI32(abi.ErrNotFound)
	default:
		stack[0] = 0
	}
}

// kvRefuse returns the result code of a kv call that must fail without
// touching the store, or 0: ERR_DENIED without a store or for a pure
// module, ERR_INVALID for an empty key or one over MaxKVKeyBytes. The
// caller has bounds-checked every range of the call already.
func (t *task) kvRefuse(key []byte) int32 {
	switch {
	case t.kv == nil:
		return abi.ErrDenied
	case len(key) == 0 || len(key) > MaxKVKeyBytes:
		return abi.ErrInvalid
	case t.pure:
		return abi.ErrDenied // its result may depend only on input and config
	}
	return 0
}

// copyOut implements the "length, copied if it fits" convention: it copies
// v to dst, the guest's bounds-checked [ptr, ptr+cap), when len(v) <= cap
// and returns len(v).
func copyOut(dst, v []byte) int32 {
	if len(v) <= len(dst) {
		copy(dst, v)
	}
	return int32(len(v))
}
