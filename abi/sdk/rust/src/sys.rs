//! Raw `nexus_v1` imports, exactly as the host provides them.
//!
//! Everything here is `unsafe`: pointers are offsets into this module's
//! linear memory and the host traps the task if a `[ptr, ptr+len)` range
//! falls outside it. Prefer the safe wrappers in the crate root and its
//! modules; this layer exists for code that must call the host with values
//! the safe API cannot express (the conformance guest's out-of-bounds test,
//! for example).
//!
//! Every function's meaning, parameters and result codes are specified in
//! `abi/ABI.md`. Lengths and capacities are unsigned byte counts passed as
//! `u32`; results are `i32`, where a negative value is one of the `ERR_*`
//! codes below.

/// The key, value or checkpoint does not exist.
pub const ERR_NOT_FOUND: i32 = -1;
/// A size limit was reached (output cap, value size, kv namespace total).
pub const ERR_LIMIT: i32 = -2;
/// The task lacks the capability (no kv store, a pure module writing kv).
pub const ERR_DENIED: i32 = -3;
/// An argument is malformed (empty or oversize key).
pub const ERR_INVALID: i32 = -4;
/// The host failed (storage error); the guest may retry or fail.
pub const ERR_INTERNAL: i32 = -5;
/// The awaited child task failed, died or was canceled.
pub const ERR_FAILED: i32 = -6;

#[link(wasm_import_module = "nexus_v1")]
extern "C" {
    /// Total input size in bytes.
    pub fn input_len() -> i32;
    /// Copies up to `len` further input bytes to `ptr`; returns the count
    /// copied, 0 once all input was read.
    pub fn input_read(ptr: *mut u8, len: u32) -> i32;
    /// Appends `[ptr, ptr+len)` to the output; returns `len`, or
    /// `ERR_LIMIT` (writing nothing) past the output cap.
    pub fn output_write(ptr: *const u8, len: u32) -> i32;
    /// Sets the message reported when `nexus_run` returns non-zero.
    pub fn error_set(ptr: *const u8, len: u32);
    /// Logs one line at `level` (0 debug, 1 info, 2 warn, 3 error).
    pub fn log(level: i32, ptr: *const u8, len: u32);
    /// Reports the task's progress; the last call wins.
    pub fn progress(done: i64, total: i64);
    /// Keeps `[ptr, ptr+len)` as the task's checkpoint; 0 or `ERR_LIMIT`.
    pub fn checkpoint_save(ptr: *const u8, len: u32) -> i32;
    /// The last checkpoint's length, copied to `ptr` if it is at most
    /// `cap`; `ERR_NOT_FOUND` if there is none.
    pub fn checkpoint_load(ptr: *mut u8, cap: u32) -> i32;
    /// The value's length, copied to `vptr` if it is at most `vcap`.
    pub fn kv_get(kptr: *const u8, klen: u32, vptr: *mut u8, vcap: u32) -> i32;
    /// Stores `[vptr, vptr+vlen)` under the key; 0 or an error code.
    pub fn kv_set(kptr: *const u8, klen: u32, vptr: *const u8, vlen: u32) -> i32;
    /// Removes the key; 0 or an error code (`ERR_NOT_FOUND` if absent).
    pub fn kv_delete(kptr: *const u8, klen: u32) -> i32;
    /// The configuration value's length, copied to `vptr` if it is at most
    /// `vcap`; `ERR_NOT_FOUND` if the key is not set.
    pub fn config_get(kptr: *const u8, klen: u32, vptr: *mut u8, vcap: u32) -> i32;
    /// Fuel left in the task's budget (never negative).
    pub fn fuel_remaining() -> i64;
    /// Starts a child task of module `[mptr, mptr+mlen)` with input
    /// `[iptr, iptr+ilen)` and JSON options `[optr, optr+olen)`; its
    /// handle, or an error code.
    pub fn task_spawn(mptr: *const u8, mlen: u32, iptr: *const u8, ilen: u32, optr: *const u8, olen: u32) -> i32;
    /// Waits for the child of `handle`; its output's length, copied to
    /// `ptr` if it is at most `cap`, or `ERR_FAILED`.
    pub fn task_await(handle: i32, ptr: *mut u8, cap: u32) -> i32;
    /// Waits for one of the `n` children whose handles are at `hptr`; the
    /// index of one that finished.
    pub fn task_await_any(hptr: *const i32, n: u32) -> i32;
}
