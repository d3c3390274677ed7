//! The module's persistent key-value store.
//!
//! Every version of a module shares one namespace. Keys are 1 to 1,024
//! bytes ([`Error::Invalid`] otherwise), values up to 1 MiB, and the
//! namespace holds at most 64 MiB (by default) of keys and values together
//! ([`Error::Limit`] past either). Each call is atomic and durable when it
//! returns. On a host without a store every call fails with
//! [`Error::Denied`], and so do [`set`] and [`delete`] in a module declared
//! [`pure`](crate::pure).
//!
//! ```no_run
//! # fn main() -> Result<(), nexus::Error> {
//! let visits = nexus::kv::get("visits")?.map_or(0, |v| v.len());
//! nexus::kv::set("visits", vec![b'.'; visits + 1])?;
//! # Ok(()) }
//! ```

use crate::buf;
use crate::error::{check, Error};
use crate::sys;

/// Returns the value stored under `key`, or `None` if there is none.
pub fn get(key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, Error> {
    let key = key.as_ref();
    // SAFETY: the key is read, the buffer of cap bytes written, by the host.
    buf::fetch(|ptr, cap| unsafe { sys::kv_get(key.as_ptr(), key.len() as u32, ptr, cap) })
}

/// Returns the length of the value stored under `key`, copying it to the
/// start of `buf` only if it fits (a length above `buf.len()` means "call
/// again with a buffer this large"), or `None` if there is none.
pub fn get_into(key: impl AsRef<[u8]>, buf: &mut [u8]) -> Result<Option<usize>, Error> {
    let key = key.as_ref();
    // SAFETY: the key is read, the buffer of cap bytes written, by the host.
    buf::fetch_into(buf, |ptr, cap| unsafe { sys::kv_get(key.as_ptr(), key.len() as u32, ptr, cap) })
}

/// Stores `value` under `key`, replacing any previous value.
pub fn set(key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<(), Error> {
    let (key, value) = (key.as_ref(), value.as_ref());
    // SAFETY: the host reads the key and the value.
    check(unsafe { sys::kv_set(key.as_ptr(), key.len() as u32, value.as_ptr(), value.len() as u32) }).map(|_| ())
}

/// Removes `key` and reports whether it had a value.
pub fn delete(key: impl AsRef<[u8]>) -> Result<bool, Error> {
    let key = key.as_ref();
    // SAFETY: the host reads the key.
    match unsafe { sys::kv_delete(key.as_ptr(), key.len() as u32) } {
        sys::ERR_NOT_FOUND => Ok(false),
        r => check(r).map(|_| true),
    }
}
