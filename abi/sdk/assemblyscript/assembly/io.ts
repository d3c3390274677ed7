// Input, output and the task's entry point.

import * as sys from "./sys";
import { toBytes } from "./bytes";

/** Returns the input's total size in bytes. */
export function inputLen(): i32 {
  return sys.input_len();
}

/**
 * Copies the next input bytes into buf and returns how many were copied:
 * reads continue where the last one stopped; 0 means all input was read.
 */
export function readInput(buf: Uint8Array): i32 {
  return sys.input_read(buf.dataStart, buf.length);
}

/** Reads the whole input (or what is left of it). */
export function input(): Uint8Array {
  const buf = new Uint8Array(sys.input_len());
  let n = 0;
  while (n < buf.length) {
    const r = sys.input_read(buf.dataStart + <usize>n, buf.length - n);
    if (r <= 0) break;
    n += r;
  }
  return buf.subarray(0, n);
}

/**
 * Appends data (a string, encoded as UTF-8, or bytes) to the output.
 * Returns 0, or ERR_LIMIT past the output cap, when nothing is written and
 * the task will end with output_limit.
 */
export function output<T>(data: T): i32 {
  const b = toBytes(data);
  const r = sys.output_write(b.dataStart, b.length);
  return r < 0 ? r : 0;
}
