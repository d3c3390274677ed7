// Raw imports of module nexus_v1, exactly as the host provides them
// (abi/ABI.md). Pointers are offsets into this module's linear memory;
// lengths and capacities are unsigned byte counts passed as i32; a
// negative result is one of the ERR_* codes. The host traps the task when
// a [ptr, ptr+len) range lies outside memory.
//
// Prefer the wrappers exported by index.ts; this layer is for code that
// must pass values they cannot express (raw pointers, for example).

/** The key, value or checkpoint does not exist. */
export const ERR_NOT_FOUND: i32 = -1;
/** A size limit was reached (output cap, value size, kv namespace total). */
export const ERR_LIMIT: i32 = -2;
/** The task lacks the capability (no kv store, a pure module writing kv). */
export const ERR_DENIED: i32 = -3;
/** An argument is malformed (empty or oversize key). */
export const ERR_INVALID: i32 = -4;
/** The host failed (storage error); the task may retry or fail. */
export const ERR_INTERNAL: i32 = -5;
/** The awaited child task failed, died or was canceled. */
export const ERR_FAILED: i32 = -6;

/** Total input size in bytes. */
// @ts-ignore: decorator
@external("nexus_v1", "input_len")
export declare function input_len(): i32;

/** Copies up to len further input bytes to ptr; returns the count copied, 0 at the end. */
// @ts-ignore: decorator
@external("nexus_v1", "input_read")
export declare function input_read(ptr: usize, len: i32): i32;

/** Appends [ptr, ptr+len) to the output; returns len, or ERR_LIMIT past the output cap. */
// @ts-ignore: decorator
@external("nexus_v1", "output_write")
export declare function output_write(ptr: usize, len: i32): i32;

/** Sets the message reported when nexus_run returns non-zero; the last call wins. */
// @ts-ignore: decorator
@external("nexus_v1", "error_set")
export declare function error_set(ptr: usize, len: i32): void;

/** Logs one line at level (0 debug, 1 info, 2 warn, 3 error). */
// @ts-ignore: decorator
@external("nexus_v1", "log")
export declare function log(level: i32, ptr: usize, len: i32): void;

/** Reports the task's progress; the last call wins. */
// @ts-ignore: decorator
@external("nexus_v1", "progress")
export declare function progress(done: i64, total: i64): void;

/** Keeps [ptr, ptr+len) as the task's checkpoint; 0 or ERR_LIMIT. */
// @ts-ignore: decorator
@external("nexus_v1", "checkpoint_save")
export declare function checkpoint_save(ptr: usize, len: i32): i32;

/** The last checkpoint's length, copied to ptr if it is at most cap; ERR_NOT_FOUND if none. */
// @ts-ignore: decorator
@external("nexus_v1", "checkpoint_load")
export declare function checkpoint_load(ptr: usize, cap: i32): i32;

/** The value's length, copied to vptr if it is at most vcap; ERR_NOT_FOUND if absent. */
// @ts-ignore: decorator
@external("nexus_v1", "kv_get")
export declare function kv_get(kptr: usize, klen: i32, vptr: usize, vcap: i32): i32;

/** Stores [vptr, vptr+vlen) under the key; 0 or an error code. */
// @ts-ignore: decorator
@external("nexus_v1", "kv_set")
export declare function kv_set(kptr: usize, klen: i32, vptr: usize, vlen: i32): i32;

/** Removes the key; 0, ERR_NOT_FOUND if absent, or an error code. */
// @ts-ignore: decorator
@external("nexus_v1", "kv_delete")
export declare function kv_delete(kptr: usize, klen: i32): i32;

/** The configuration value's length, copied to vptr if it is at most vcap; ERR_NOT_FOUND if unset. */
// @ts-ignore: decorator
@external("nexus_v1", "config_get")
export declare function config_get(kptr: usize, klen: i32, vptr: usize, vcap: i32): i32;

/** Fuel left in the task's budget (never negative). */
// @ts-ignore: decorator
@external("nexus_v1", "fuel_remaining")
export declare function fuel_remaining(): i64;

/** Starts a child task of module [mptr, mptr+mlen) with input [iptr, iptr+ilen) and JSON options [optr, optr+olen); its handle or an error code. */
// @ts-ignore: decorator
@external("nexus_v1", "task_spawn")
export declare function task_spawn(mptr: usize, mlen: i32, iptr: usize, ilen: i32, optr: usize, olen: i32): i32;

/** Waits for the child of handle; its output's length, copied to ptr if it is at most cap, or ERR_FAILED. */
// @ts-ignore: decorator
@external("nexus_v1", "task_await")
export declare function task_await(handle: i32, ptr: usize, cap: i32): i32;

/** Waits for one of the n children whose handles are at hptr; the index of one that finished. */
// @ts-ignore: decorator
@external("nexus_v1", "task_await_any")
export declare function task_await_any(hptr: usize, n: i32): i32;
