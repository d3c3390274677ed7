// The "length, copied if it fits" convention of the imports that return
// bytes, handled once for all of them.

import * as sys from "./sys";
import { utf8 } from "./bytes";

/** The first capacity tried for a value of unknown size. */
const FIRST_CAPACITY: i32 = 256;

/**
 * The answer of a call that returns a value: the value, its absence, or an
 * error. Immutable; the bytes belong to the caller.
 */
export class Value {
  /** The value's length when found, ERR_NOT_FOUND when absent, or another negative code. */
  readonly code: i32;
  /** The value; empty unless found. */
  readonly bytes: Uint8Array;

  constructor(code: i32, bytes: Uint8Array) {
    this.code = code;
    this.bytes = bytes;
  }

  /** Whether the value exists. */
  get found(): bool {
    return this.code >= 0;
  }

  /** Whether the call failed for a reason other than absence. */
  get failed(): bool {
    return this.code < 0 && this.code != sys.ERR_NOT_FOUND;
  }

  /** The value decoded as UTF-8 ("" unless found). */
  text(): string {
    return utf8(this.bytes);
  }
}

/**
 * Calls call(ptr, cap, ctx) (an import following "length, copied if it
 * fits") with a growing buffer until the value fits. The loop also covers
 * a value that grows between two calls. ctx carries the caller's
 * arguments, since AssemblyScript functions do not capture variables.
 */
export function fetch(call: (ptr: usize, cap: i32, ctx: Uint8Array) => i32, ctx: Uint8Array): Value {
  let buf = new Uint8Array(FIRST_CAPACITY);
  let r = call(buf.dataStart, buf.length, ctx);
  while (r > buf.length) {
    buf = new Uint8Array(r);
    r = call(buf.dataStart, buf.length, ctx);
  }
  if (r < 0) return new Value(r, new Uint8Array(0));
  return new Value(r, buf.subarray(0, r));
}
