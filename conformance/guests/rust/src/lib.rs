//! The Rust conformance guest: a `nexus-v1` task that reads a command
//! script (`conformance/SCRIPT.md`) from its input and performs it through
//! the Rust SDK, writing what each call returns to its output. RAW_OUTPUT
//! and TRAP go below the SDK on purpose: the first passes raw pointers, the
//! second executes `unreachable`.

use std::io::Write;
use std::ptr;

use nexus::log::Level;
use nexus::{checkpoint, config, envelope, kv, log, task, Error};

/// The script's magic number.
const MAGIC: &[u8] = b"NXC1";

/// What `nexus_run` returns for a malformed script.
const BAD_SCRIPT: i32 = 99;

/// The conformance guest's entry point.
#[no_mangle]
pub extern "C" fn nexus_run() -> i32 {
    let script = nexus::input();
    match run(&script) {
        Some(code) => code,
        None => {
            nexus::set_error("conformance: bad script");
            BAD_SCRIPT
        }
    }
}

/// Performs the commands of `script` in order and returns what `nexus_run`
/// returns, or `None` if the script is truncated or has an unknown op.
fn run(script: &[u8]) -> Option<i32> {
    let mut s = Reader { data: script };
    if s.take(4)? != MAGIC {
        return None;
    }
    let mut last_fuel = i64::MAX as u64;
    while !s.data.is_empty() {
        match s.u8()? {
            0x01 => {
                let _ = nexus::output(s.bytes()?);
            }
            0x02 => {
                let (data, n) = (s.bytes()?, s.u32()?);
                for _ in 0..n {
                    if nexus::output(data).is_err() {
                        break;
                    }
                }
            }
            0x03 => write_i32(nexus::input_len() as i32),
            0x04 => {
                let mut buf = vec![0; s.u32()? as usize];
                write_i32(nexus::read_input(&mut buf) as i32);
            }
            0x05 => {
                let level = Level::from(s.u32()? as i32);
                log::write(level, s.bytes()?);
            }
            0x06 => {
                let (done, total) = (s.u64()?, s.u64()?);
                nexus::progress(done, total);
            }
            0x07 => write_i32(code(checkpoint::save(s.bytes()?))),
            0x08 => {
                let mut buf = vec![0; s.u32()? as usize];
                write_value(checkpoint::load_into(&mut buf), &buf);
            }
            0x09 => {
                let key = s.bytes()?;
                let mut buf = vec![0; s.u32()? as usize];
                write_value(kv::get_into(key, &mut buf), &buf);
            }
            0x0A => {
                let (key, value) = (s.bytes()?, s.bytes()?);
                write_i32(code(kv::set(key, value)));
            }
            0x0B => write_i32(match kv::delete(s.bytes()?) {
                Ok(true) => 0,
                Ok(false) => Error::NotFound.code(),
                Err(err) => err.code(),
            }),
            0x0C => {
                let key = s.bytes()?;
                let mut buf = vec![0; s.u32()? as usize];
                write_value(config::get_into(key, &mut buf), &buf);
            }
            0x0D => {
                let fuel = nexus::fuel_remaining();
                write_i32((0 < fuel && fuel < last_fuel) as i32);
                last_fuel = fuel;
            }
            0x0E => {
                let (message, code) = (s.bytes()?, s.u32()?);
                nexus::set_error(message);
                return Some(code as i32);
            }
            0x0F => core::arch::wasm32::unreachable(),
            0x10 => spin(s.u64()?),
            0x11 => alloc(s.u32()?),
            0x12 => {
                let (ptr, len) = (s.u32()?, s.u32()?);
                // SAFETY: the host bounds-checks the range and traps the
                // task if it is outside memory; that is what this op tests.
                write_i32(unsafe { nexus::sys::output_write(ptr as usize as *const u8, len) });
            }
            0x13 => {
                recurse(s.u32()?);
            }
            0x14 => return Some(s.u32()? as i32),
            0x15 => {
                let _ = std::io::stderr().write_all(s.bytes()?);
            }
            0x16 => {
                let (module, input, options) = (s.bytes()?, s.bytes()?, s.bytes()?);
                let module = std::str::from_utf8(module).ok()?;
                let options = std::str::from_utf8(options).ok()?;
                let options = if options.is_empty() { None } else { Some(options) };
                write_i32(match task::spawn(module, input, options) {
                    Ok(h) => h.0,
                    Err(err) => err.code(),
                });
            }
            0x17 => {
                let (handle, cap) = (s.u32()?, s.u32()?);
                write_output(task::await_output(task::Handle(handle as i32)), cap);
            }
            0x18 => {
                let raw = s.bytes()?;
                let handles: Vec<task::Handle> = raw
                    .chunks_exact(4)
                    .map(|c| task::Handle(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                    .collect();
                write_i32(match task::await_any(&handles) {
                    Ok(i) => i as i32,
                    Err(err) => err.code(),
                });
            }
            0x19 => {
                let (env, id, cap) = (s.bytes()?, s.bytes()?, s.u32()?);
                let id = std::str::from_utf8(id).ok()?;
                write_output(
                    match envelope::parse(env) {
                        Err(err) => Err(err),
                        Ok(env) => match env.get(id) {
                            None => Err(Error::NotFound),
                            Some(envelope::Source::Failed { .. }) => Err(Error::Failed),
                            Some(envelope::Source::Output(out)) => Ok(out.clone()),
                        },
                    },
                    cap,
                );
            }
            _ => return None,
        }
    }
    Some(0)
}

/// Reader decodes a script's little-endian fields; every method returns
/// `None` when the script ends too soon.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.data.len() {
            return None;
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// Writes an i32 record.
fn write_i32(v: i32) {
    let _ = nexus::output(v.to_le_bytes());
}

/// Returns the result code of a call that returns 0 on success.
fn code(r: Result<(), Error>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(err) => err.code(),
    }
}

/// Writes the record of a "length, copied if it fits" call: the result,
/// then the value if it was copied into `buf`.
fn write_value(r: Result<Option<usize>, Error>, buf: &[u8]) {
    let n = match r {
        Ok(Some(n)) => n,
        Ok(None) => return write_i32(Error::NotFound.code()),
        Err(err) => return write_i32(err.code()),
    };
    write_i32(n as i32);
    if n <= buf.len() {
        let _ = nexus::output(&buf[..n]);
    }
}

/// Writes the record of a call that returned a whole value, asked with a
/// capacity of `cap`: its length (or the code), then the value if it fits.
fn write_output(r: Result<Vec<u8>, Error>, cap: u32) {
    match r {
        Ok(v) => {
            write_i32(v.len() as i32);
            if v.len() <= cap as usize {
                let _ = nexus::output(&v);
            }
        }
        Err(err) => write_i32(err.code()),
    }
}

/// Keeps SPIN's and RECURSE's results live so the compiler cannot remove
/// their work.
static mut SINK: u64 = 0;

/// Runs a loop of n iterations whose result is stored to a volatile sink.
fn spin(n: u64) {
    // SAFETY: the guest is single-threaded; SINK is only accessed here and
    // in recurse, through volatile reads and writes.
    let mut x = unsafe { ptr::read_volatile(ptr::addr_of!(SINK)) };
    for i in 0..n {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    unsafe { ptr::write_volatile(ptr::addr_of_mut!(SINK), x) };
}

/// Recurses `depth` levels, one real call per level: the result of each
/// call is used after it returns, so it is neither a tail call nor a loop.
#[inline(never)]
fn recurse(depth: u32) -> u64 {
    if depth == 0 {
        // SAFETY: as in spin.
        return unsafe { ptr::read_volatile(ptr::addr_of!(SINK)) };
    }
    recurse(depth - 1).wrapping_mul(31).wrapping_add(depth as u64)
}

/// Allocates `mib` MiB, writes one byte in every 4 KiB page of it, and
/// keeps it allocated until the task ends. An allocation the memory quota
/// refuses traps.
fn alloc(mib: u32) {
    if mib == 0 {
        return;
    }
    let layout = (mib as usize)
        .checked_mul(1 << 20)
        .and_then(|size| std::alloc::Layout::from_size_align(size, 16).ok());
    let layout = match layout {
        Some(layout) => layout,
        None => core::arch::wasm32::unreachable(),
    };
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { std::alloc::alloc(layout) };
    if p.is_null() {
        core::arch::wasm32::unreachable();
    }
    for off in (0..layout.size()).step_by(4096) {
        // SAFETY: off is inside the allocation.
        unsafe { ptr::write_volatile(p.add(off), 1) };
    }
}
