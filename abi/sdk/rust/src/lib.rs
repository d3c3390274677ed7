//! Rust SDK for NexusTask tasks: safe bindings for every import of the
//! guest ABI v1 (`nexus_v1`, specified in `abi/ABI.md`).
//!
//! A task is a `nexus-v1` module: a `cdylib` built for `wasm32-wasi` that
//! exports `nexus_run` and its memory. [`main!`] defines `nexus_run` from a
//! handler that gets the whole input and returns the whole output:
//!
//! ```no_run
//! fn shout(input: &[u8]) -> Result<Vec<u8>, nexus::Error> {
//!     nexus::log::info(format!("{} bytes in", input.len()));
//!     Ok(input.to_ascii_uppercase())
//! }
//!
//! nexus::main!(shout);
//! ```
//!
//! The other imports are wrapped one module or function per area:
//!
//! | area | API |
//! |---|---|
//! | input | [`input`], [`input_len`], [`read_input`], [`Input`] |
//! | output | [`output`], [`Output`], [`set_error`] |
//! | logs | [`log::debug`], [`log::info`], [`log::warn`], [`log::error`], [`log::write`] |
//! | progress | [`progress`] |
//! | checkpoints | [`checkpoint::save`], [`checkpoint::load`], [`checkpoint::load_into`] |
//! | key-value store | [`kv::get`], [`kv::get_into`], [`kv::set`], [`kv::delete`] |
//! | configuration | [`config::get`], [`config::get_bytes`], [`config::get_into`] |
//! | fuel | [`fuel_remaining`] |
//! | raw imports | [`sys`] |
//!
//! Calls that can fail return `Result<_, Error>`, with the ABI's negative
//! result codes mapped to [`Error`] variants; "not found" is `Ok(None)` (or
//! `Ok(false)`) where absence is an ordinary answer. Functions returning
//! bytes handle the ABI's "length, copied if it fits" convention
//! themselves: they retry with a buffer of the size the host reports.
//! The `*_into` variants expose the convention directly, for callers that
//! manage their own buffers.
//!
//! Every task runs in a fresh instance, single-threaded: nothing in memory
//! survives from one task to the next, and none of these functions need to
//! be safe for concurrent use.

#![warn(missing_docs)]

mod buf;
pub mod checkpoint;
pub mod config;
pub mod envelope;
mod error;
mod io;
pub mod kv;
pub mod log;
pub mod sys;
pub mod task;

pub use crate::error::Error;
pub use crate::io::{input, input_len, output, read_input, set_error, Input, Output};

/// Reports the task's progress: `done` of `total` units of work. The last
/// call wins; it shows in task records, events, the CLI and the dashboard.
pub fn progress(done: u64, total: u64) {
    // SAFETY: no memory is passed.
    unsafe { sys::progress(done as i64, total as i64) }
}

/// Returns the fuel left in the task's budget (about one unit per Wasm
/// instruction). It is deterministic: the same point of the same run
/// always sees the same value.
pub fn fuel_remaining() -> u64 {
    // SAFETY: no memory is passed.
    unsafe { sys::fuel_remaining() }.max(0) as u64
}

/// Runs a task: reads the whole input, calls `handler` with it and writes
/// what it returns as the output, then returns the value for `nexus_run`
/// to return: 0 on success; on failure the error's
/// [`exit_code`](Error::exit_code), after reporting its message with
/// [`set_error`].
///
/// A handler may also write output itself with [`output`] or [`Output`]
/// and return an empty value. [`main!`] wraps this function in the
/// `nexus_run` export; call it directly to do more around it.
pub fn run<F, R>(handler: F) -> i32
where
    F: FnOnce(&[u8]) -> Result<R, Error>,
    R: AsRef<[u8]>,
{
    let input = input();
    match handler(&input).and_then(output) {
        Ok(()) => 0,
        Err(err) => {
            set_error(err.to_string());
            err.exit_code()
        }
    }
}

/// Defines the task's entry point, the `nexus_run` export, from a handler
/// `fn(&[u8]) -> Result<R, nexus::Error>` where `R: AsRef<[u8]>` (a
/// `Vec<u8>`, a `String`, a `&'static str`...). See [`run`].
///
/// ```no_run
/// nexus::main!(|input: &[u8]| -> Result<String, nexus::Error> {
///     Ok(format!("{} bytes", input.len()))
/// });
/// ```
#[macro_export]
macro_rules! main {
    ($handler:expr) => {
        /// The task's entry point, called by the NexusTask host.
        #[no_mangle]
        pub extern "C" fn nexus_run() -> i32 {
            $crate::run($handler)
        }
    };
}

/// Declares the module pure: its output depends only on its input and
/// configuration, so the host may cache results. It exports the function
/// `nexus_pure`, which is never called. A pure module gets
/// [`Error::Denied`] from [`kv::set`] and [`kv::delete`], and may not be
/// granted a real clock or random source.
///
/// ```no_run
/// nexus::pure!();
/// ```
#[macro_export]
macro_rules! pure {
    () => {
        /// Declares this module pure to the NexusTask host; never called.
        #[no_mangle]
        pub extern "C" fn nexus_pure() {}
    };
}
