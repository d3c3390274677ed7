// Result codes, the task's error message, and failing a task.

import * as sys from "./sys";
import { toBytes } from "./bytes";

/**
 * Describes a result code as the C SDK does: "nexus: not found",
 * "nexus: limit reached", "nexus: denied", "nexus: invalid argument",
 * "nexus: host internal error", "nexus: child task failed", or "nexus: result code N" for a code of a
 * later ABI version.
 */
export function describe(code: i32): string {
  switch (code) {
    case sys.ERR_NOT_FOUND:
      return "nexus: not found";
    case sys.ERR_LIMIT:
      return "nexus: limit reached";
    case sys.ERR_DENIED:
      return "nexus: denied";
    case sys.ERR_INVALID:
      return "nexus: invalid argument";
    case sys.ERR_INTERNAL:
      return "nexus: host internal error";
    case sys.ERR_FAILED:
      return "nexus: child task failed";
  }
  return "nexus: result code " + code.toString();
}

/**
 * Sets the message reported when nexus_run returns non-zero (kept up to
 * 4 KiB; the last call wins). message is a string or bytes.
 */
export function setError<T>(message: T): void {
  const b = toBytes(message);
  sys.error_set(b.dataStart, b.length);
}

/**
 * Sets the task's error message and returns code (1 by default), so that a
 * handler can end with `return fail("input: empty")`.
 */
export function fail(message: string, code: i32 = 1): i32 {
  setError(message);
  return code;
}

/**
 * Fails with "what: description of code" (see describe) and returns 1:
 * `return failCode("kv count", r)` reports "kv count: nexus: denied".
 */
export function failCode(what: string, code: i32): i32 {
  return fail(what + ": " + describe(code));
}
