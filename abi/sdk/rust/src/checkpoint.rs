//! Checkpoints: durable state that lets a long task resume.
//!
//! A checkpoint belongs to the task. For a durable task it survives retries
//! and restarts, so a new attempt's [`load`] returns what the previous
//! attempt last [`save`]d; for a synchronous invoke it lives as long as the
//! invocation. The format is the task's own.
//!
//! ```no_run
//! # fn main() -> Result<(), nexus::Error> {
//! let start = match nexus::checkpoint::load()? {
//!     Some(state) => state[0],
//!     None => 0,
//! };
//! nexus::checkpoint::save([start + 1])?;
//! # Ok(()) }
//! ```

use crate::buf;
use crate::error::{check, Error};
use crate::sys;

/// Keeps `state` as the task's checkpoint, replacing the previous one.
/// Fails with [`Error::Limit`] past 1 MiB.
pub fn save(state: impl AsRef<[u8]>) -> Result<(), Error> {
    let state = state.as_ref();
    // SAFETY: the host reads state.len() bytes at state's start.
    check(unsafe { sys::checkpoint_save(state.as_ptr(), state.len() as u32) }).map(|_| ())
}

/// Returns the task's last checkpoint, or `None` if it has none.
pub fn load() -> Result<Option<Vec<u8>>, Error> {
    // SAFETY: fetch passes a buffer of cap writable bytes.
    buf::fetch(|ptr, cap| unsafe { sys::checkpoint_load(ptr, cap) })
}

/// Returns the length of the task's last checkpoint, copying it to the
/// start of `buf` only if it fits (a length above `buf.len()` means "call
/// again with a buffer this large"), or `None` if it has none.
pub fn load_into(buf: &mut [u8]) -> Result<Option<usize>, Error> {
    // SAFETY: fetch_into passes buf's pointer and length.
    buf::fetch_into(buf, |ptr, cap| unsafe { sys::checkpoint_load(ptr, cap) })
}
