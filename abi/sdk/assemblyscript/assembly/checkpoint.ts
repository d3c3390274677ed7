// Checkpoints: durable state of the task, kept across retries and restarts.

import * as sys from "./sys";
import { toBytes } from "./bytes";
import { Value, fetch } from "./value";

/**
 * Keeps state (a string or bytes) as the task's checkpoint, replacing the
 * last one. Returns 0, or ERR_LIMIT past 1 MiB.
 */
export function saveCheckpoint<T>(state: T): i32 {
  const b = toBytes(state);
  return sys.checkpoint_save(b.dataStart, b.length);
}

function load(ptr: usize, cap: i32, _ctx: Uint8Array): i32 {
  return sys.checkpoint_load(ptr, cap);
}

/** Returns the last checkpoint, whatever its size; not found on a first attempt. */
export function loadCheckpoint(): Value {
  return fetch(load, new Uint8Array(0));
}

/**
 * Loads the last checkpoint into buf and returns its full length: it was
 * copied only if that is at most buf.length. ERR_NOT_FOUND if there is none.
 */
export function loadCheckpointInto(buf: Uint8Array): i32 {
  return sys.checkpoint_load(buf.dataStart, buf.length);
}
