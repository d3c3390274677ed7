// The task's configuration: a map of strings given with the request.

import * as sys from "./sys";
import { toBytes } from "./bytes";
import { Value, fetch } from "./value";

function get(ptr: usize, cap: i32, key: Uint8Array): i32 {
  return sys.config_get(key.dataStart, key.length, ptr, cap);
}

/**
 * Returns the configuration value of key (use .text() for the string);
 * ERR_NOT_FOUND when it is not set.
 */
export function configGet<K>(key: K): Value {
  return fetch(get, toBytes(key));
}

/**
 * Copies the configuration value of key into buf if it fits and returns
 * its full length (copied only if at most buf.length), or an error code.
 */
export function configGetInto<K>(key: K, buf: Uint8Array): i32 {
  const k = toBytes(key);
  return sys.config_get(k.dataStart, k.length, buf.dataStart, buf.length);
}
