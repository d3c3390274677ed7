// The module's persistent key-value store. Keys and values are strings
// (UTF-8) or bytes; keys are 1 to 1,024 bytes, values at most 1 MiB.

import * as sys from "./sys";
import { toBytes } from "./bytes";
import { Value, fetch } from "./value";

function get(ptr: usize, cap: i32, key: Uint8Array): i32 {
  return sys.kv_get(key.dataStart, key.length, ptr, cap);
}

/**
 * Returns the value stored under key, whatever its size. Absent is
 * ERR_NOT_FOUND; on a host without a store every kv call answers
 * ERR_DENIED.
 */
export function kvGet<K>(key: K): Value {
  return fetch(get, toBytes(key));
}

/**
 * Copies the value stored under key into buf if it fits and returns its
 * full length (copied only if at most buf.length), or an error code.
 */
export function kvGetInto<K>(key: K, buf: Uint8Array): i32 {
  const k = toBytes(key);
  return sys.kv_get(k.dataStart, k.length, buf.dataStart, buf.length);
}

/**
 * Stores value under key, atomically and durably. Returns 0, ERR_LIMIT
 * (value over 1 MiB, namespace full), ERR_INVALID (bad key) or ERR_DENIED
 * (no store, or a pure module).
 */
export function kvSet<K, V>(key: K, value: V): i32 {
  const k = toBytes(key);
  const v = toBytes(value);
  return sys.kv_set(k.dataStart, k.length, v.dataStart, v.length);
}

/** Removes key. Returns 0, ERR_NOT_FOUND if it was absent, or an error code. */
export function kvDelete<K>(key: K): i32 {
  const k = toBytes(key);
  return sys.kv_delete(k.dataStart, k.length);
}
