// Child tasks: spawn them, then await their outputs. A child is a durable
// task of its own, identified by the parent task and the spawn's number,
// so a parent retried after a failure or a crash gets the same children
// back, spawn for spawn: spawn them in the same order on every attempt.
// While a task awaits, it gives its worker token back.

import * as sys from "./sys";
import { toBytes } from "./bytes";
import { Value, fetch } from "./value";

/**
 * Starts a child task of module ("NAME" or "NAME@VERSION") with input (a
 * string or bytes) and returns its handle (>= 0) or an error code:
 * ERR_NOT_FOUND (no such module), ERR_INVALID, ERR_LIMIT, ERR_DENIED (the
 * host cannot spawn), ERR_INTERNAL. options is "" or a JSON object of task
 * fields (priority, category, fuel, memory_bytes, timeout_ms, max_retries,
 * tags, config); the child inherits the task's priority and category
 * unless they are given.
 */
export function spawn<T>(module: string, input: T, options: string = ""): i32 {
  const m = toBytes(module);
  const i = toBytes(input);
  const o = toBytes(options);
  return sys.task_spawn(m.dataStart, m.length, i.dataStart, i.length, o.dataStart, o.length);
}

function awaitCall(ptr: usize, cap: i32, handle: Uint8Array): i32 {
  return sys.task_await(load<i32>(handle.dataStart), ptr, cap);
}

/**
 * Waits until the child of handle has finished and returns its output
 * (Value.found), or ERR_FAILED if it did not succeed, ERR_LIMIT if the
 * host holds as many waiting tasks as it allows, ERR_NOT_FOUND for a
 * handle spawn did not return. Awaiting again answers the same at once.
 */
export function awaitOutput(handle: i32): Value {
  const h = new Uint8Array(4);
  store<i32>(h.dataStart, handle);
  return fetch(awaitCall, h);
}

/**
 * Waits until one of the children of handles has finished and returns its
 * index in handles (the lowest of those finished), or an error code;
 * awaitOutput on it then answers at once.
 */
export function awaitAny(handles: Int32Array): i32 {
  return sys.task_await_any(handles.dataStart, handles.length);
}
