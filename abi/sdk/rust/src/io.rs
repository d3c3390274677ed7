//! Input, output and the task's error message.

use std::io;

use crate::error::{check, Error};
use crate::sys;

/// Returns the total size of the task's input in bytes.
pub fn input_len() -> usize {
    // SAFETY: no memory is passed.
    unsafe { sys::input_len() as u32 as usize }
}

/// Copies the next input bytes into `buf` and returns how many were
/// copied; 0 means all input was read (or `buf` is empty). Reads continue
/// where the previous one stopped, across all of this crate's input
/// functions.
pub fn read_input(buf: &mut [u8]) -> usize {
    // SAFETY: the host writes at most buf.len() bytes at buf's start.
    unsafe { sys::input_read(buf.as_mut_ptr(), buf.len() as u32) as u32 as usize }
}

/// Returns the task's input: all of it, or what is left if some was
/// already read with [`read_input`] or [`Input`].
pub fn input() -> Vec<u8> {
    let mut buf = vec![0; input_len()];
    let mut n = 0;
    while n < buf.len() {
        match read_input(&mut buf[n..]) {
            0 => break,
            c => n += c,
        }
    }
    buf.truncate(n);
    buf
}

/// Appends `data` to the task's output.
///
/// Fails with [`Error::Limit`], writing nothing, when the output would pass
/// its cap; the task then fails with `output_limit` whatever it returns.
pub fn output(data: impl AsRef<[u8]>) -> Result<(), Error> {
    let data = data.as_ref();
    // SAFETY: the host reads data.len() bytes at data's start.
    check(unsafe { sys::output_write(data.as_ptr(), data.len() as u32) }).map(|_| ())
}

/// Sets the message reported if the task fails (`nexus_run` returns
/// non-zero); the last call wins and the host keeps at most 4 KiB.
/// [`run`](crate::run) calls it for you when a handler returns an error.
pub fn set_error(message: impl AsRef<[u8]>) {
    let message = message.as_ref();
    // SAFETY: the host reads message.len() bytes at message's start.
    unsafe { sys::error_set(message.as_ptr(), message.len() as u32) }
}

/// Input is the task's input as a [`std::io::Read`], for streaming a large
/// input instead of holding it whole. It shares the read position with
/// [`read_input`] and [`input`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Input;

impl io::Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(read_input(buf))
    }
}

/// Output is the task's output as a [`std::io::Write`], so `write!` and
/// `io::copy` can produce it. Each `write` is one `output_write` call: wrap
/// it in a [`std::io::BufWriter`] when writing many small pieces.
#[derive(Debug, Default, Clone, Copy)]
pub struct Output;

impl io::Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        output(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
