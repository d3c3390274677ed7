//! The "length, copied if it fits" convention, handled once for every
//! import that returns bytes.

use crate::error::Error;
use crate::sys;

/// The first buffer tried for a value of unknown size. Most values fit;
/// larger ones cost one more host call.
const FIRST_CAPACITY: usize = 256;

/// Calls `call(ptr, cap)` (an import following "length, copied if it fits")
/// with a growing buffer until the value fits, and returns the value, or
/// `None` for `ERR_NOT_FOUND`. The loop also covers a value that grows
/// between two calls (a kv value another task rewrote).
pub(crate) fn fetch(mut call: impl FnMut(*mut u8, u32) -> i32) -> Result<Option<Vec<u8>>, Error> {
    let mut buf: Vec<u8> = Vec::with_capacity(FIRST_CAPACITY);
    loop {
        let cap = buf.capacity();
        let n = match call(buf.as_mut_ptr(), cap as u32) {
            sys::ERR_NOT_FOUND => return Ok(None),
            r if r < 0 => return Err(Error::from_code(r)),
            r => r as usize,
        };
        if n <= cap {
            // SAFETY: the host copied exactly n <= capacity bytes to the
            // buffer's start, so its first n bytes are initialized.
            unsafe { buf.set_len(n) };
            return Ok(Some(buf));
        }
        // len is 0, so this makes the capacity at least n.
        buf.reserve_exact(n);
    }
}

/// Calls `call(ptr, cap)` once with the caller's buffer and returns the
/// value's full length (the bytes were copied only if it is at most
/// `buf.len()`), or `None` for `ERR_NOT_FOUND`.
pub(crate) fn fetch_into(buf: &mut [u8], call: impl FnOnce(*mut u8, u32) -> i32) -> Result<Option<usize>, Error> {
    match call(buf.as_mut_ptr(), buf.len() as u32) {
        sys::ERR_NOT_FOUND => Ok(None),
        r if r < 0 => Err(Error::from_code(r)),
        r => Ok(Some(r as usize)),
    }
}
