//! Child tasks: spawn them, then await their outputs.
//!
//! A child is a durable task of its own. Its identity is derived from the
//! parent task and the spawn's number, so a parent retried after a failure
//! or a crash gets the same children back, spawn for spawn: spawn them in
//! the same order on every attempt. While a task awaits, it gives its
//! worker token back and holds only its memory.
//!
//! ```no_run
//! let a = nexus::task::spawn("sha256", b"1:abc", None)?;
//! let b = nexus::task::spawn("sha256", b"1:def", Some(r#"{"priority": 9}"#))?;
//! let first = nexus::task::await_any(&[a, b])?; // 0 or 1
//! let out = nexus::task::await_output(a)?;
//! # Ok::<(), nexus::Error>(())
//! ```

use crate::buf::fetch;
use crate::error::{check, Error};
use crate::sys;

/// A child task that [`spawn`] started: its number among the task's spawns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Handle(pub i32);

/// Starts a child task of `module` (`"NAME"` or `"NAME@VERSION"`) with
/// `input`. `options` is a JSON object of task fields (`priority`,
/// `category`, `fuel`, `memory_bytes`, `timeout_ms`, `max_retries`,
/// `tags`, `config`); the child inherits the task's priority and category
/// unless they are given. Errors: [`Error::NotFound`] (no such module),
/// [`Error::Invalid`], [`Error::Limit`], [`Error::Denied`] (the host cannot
/// spawn), [`Error::Internal`].
pub fn spawn(module: &str, input: impl AsRef<[u8]>, options: Option<&str>) -> Result<Handle, Error> {
    let input = input.as_ref();
    let options = options.unwrap_or("");
    // SAFETY: every pointer and length comes from a live slice.
    let r = unsafe {
        sys::task_spawn(
            module.as_ptr(),
            module.len() as u32,
            input.as_ptr(),
            input.len() as u32,
            options.as_ptr(),
            options.len() as u32,
        )
    };
    check(r).map(Handle)
}

/// Waits until the child of `h` has finished and returns its output.
/// [`Error::Failed`]: the child did not succeed; [`Error::Limit`]: the host
/// holds as many waiting tasks as it allows. Awaiting again answers the
/// same at once.
pub fn await_output(h: Handle) -> Result<Vec<u8>, Error> {
    // SAFETY: fetch passes a buffer of capacity `cap` it owns.
    match fetch(|ptr, cap| unsafe { sys::task_await(h.0, ptr, cap) })? {
        Some(out) => Ok(out),
        None => Err(Error::NotFound),
    }
}

/// Waits until one of the children of `handles` has finished and returns
/// its index in `handles` (the lowest of those finished);
/// [`await_output`] on it then answers at once.
pub fn await_any(handles: &[Handle]) -> Result<usize, Error> {
    if handles.is_empty() {
        return Err(Error::Invalid);
    }
    // SAFETY: Handle is a transparent i32, so the slice is the i32 array
    // the import reads.
    let r = unsafe { sys::task_await_any(handles.as_ptr() as *const i32, handles.len() as u32) };
    check(r).map(|i| i as usize)
}
