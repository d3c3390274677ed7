//! The task's configuration: a map of strings given with the request
//! (`config=key=value` query parameters or `X-Nexus-Config-<key>` headers
//! on invoke, a `config` object on a submitted task).
//!
//! ```no_run
//! # fn main() -> Result<(), nexus::Error> {
//! let step: i64 = match nexus::config::get("step")? {
//!     Some(s) => s.parse().map_err(|_| "config step: not a number")?,
//!     None => 1,
//! };
//! # Ok(()) }
//! ```

use crate::buf;
use crate::error::Error;
use crate::sys;

/// Returns the configuration value of `key`, or `None` if it is not set.
/// Fails with [`Error::Invalid`] if the value is not UTF-8 (use
/// [`get_bytes`] to read it anyway).
pub fn get(key: impl AsRef<[u8]>) -> Result<Option<String>, Error> {
    match get_bytes(key)? {
        Some(v) => String::from_utf8(v).map(Some).map_err(|_| Error::Invalid),
        None => Ok(None),
    }
}

/// Returns the configuration value of `key` as bytes, or `None` if it is
/// not set.
pub fn get_bytes(key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, Error> {
    let key = key.as_ref();
    // SAFETY: the key is read, the buffer of cap bytes written, by the host.
    buf::fetch(|ptr, cap| unsafe { sys::config_get(key.as_ptr(), key.len() as u32, ptr, cap) })
}

/// Returns the length of the configuration value of `key`, copying it to
/// the start of `buf` only if it fits (a length above `buf.len()` means
/// "call again with a buffer this large"), or `None` if it is not set.
pub fn get_into(key: impl AsRef<[u8]>, buf: &mut [u8]) -> Result<Option<usize>, Error> {
    let key = key.as_ref();
    // SAFETY: the key is read, the buffer of cap bytes written, by the host.
    buf::fetch_into(buf, |ptr, cap| unsafe { sys::config_get(key.as_ptr(), key.len() as u32, ptr, cap) })
}
