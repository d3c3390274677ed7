//go:build wasip1

package nexus

import "unsafe"

// The key-value store is persistent, with one namespace per module name
// shared by all its versions. Keys are 1 to 1,024 bytes (ErrInvalid
// otherwise), values up to 1 MiB, and a namespace holds at most 64 MiB by
// default. Every call is atomic and durable when it returns. On a host
// without a store every call fails with ErrDenied, and so do KVSet and
// KVDelete in a module declared pure.

// KVGet returns the value of key, with found false if it has none.
func KVGet(key string) (value []byte, found bool, err error) {
	v, r := fetch(func(ptr unsafe.Pointer, capacity uint32) int32 {
		return kvGet(stringPtr(key), uint32(len(key)), ptr, capacity)
	})
	return valueResult(v, r, "kv_get")
}

// KVSet stores value under key. It fails with ErrLimit for a value over
// 1 MiB or a full namespace.
func KVSet(key string, value []byte) error {
	return callErr("kv_set", kvSet(stringPtr(key), uint32(len(key)), bytesPtr(value), uint32(len(value))))
}

// KVDelete removes key and reports whether it had a value.
func KVDelete(key string) (found bool, err error) {
	switch r := kvDelete(stringPtr(key), uint32(len(key))); {
	case r == int32(ErrNotFound):
		return false, nil
	case r < 0:
		return false, callErr("kv_delete", r)
	}
	return true, nil
}
