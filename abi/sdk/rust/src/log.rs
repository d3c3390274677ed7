//! Task logs.
//!
//! Each call is one log line. Logs are bounded (64 KiB per task by
//! default) and rate-limited by the host; logging never fails a task, so
//! these functions return nothing. Messages are bytes: anything that is
//! `AsRef<[u8]>` (`&str`, `String`, `&[u8]`, `Vec<u8>`) will do.
//!
//! ```no_run
//! nexus::log::info("starting");
//! nexus::log::warn(format!("{} items skipped", 3));
//! ```

use crate::sys;

/// Level is the severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Level 0.
    Debug,
    /// Level 1.
    Info,
    /// Level 2.
    Warn,
    /// Level 3.
    Error,
    /// Any other level; the host logs it as `level(N)`.
    Other(i32),
}

impl Level {
    /// Returns the level's value in the ABI.
    pub fn value(self) -> i32 {
        match self {
            Level::Debug => 0,
            Level::Info => 1,
            Level::Warn => 2,
            Level::Error => 3,
            Level::Other(n) => n,
        }
    }
}

impl From<i32> for Level {
    /// Returns the level with ABI value `n`.
    fn from(n: i32) -> Level {
        match n {
            0 => Level::Debug,
            1 => Level::Info,
            2 => Level::Warn,
            3 => Level::Error,
            n => Level::Other(n),
        }
    }
}

/// Logs one line at `level`.
pub fn write(level: Level, message: impl AsRef<[u8]>) {
    let message = message.as_ref();
    // SAFETY: the host reads message.len() bytes at message's start.
    unsafe { sys::log(level.value(), message.as_ptr(), message.len() as u32) }
}

/// Logs one line at debug level.
pub fn debug(message: impl AsRef<[u8]>) {
    write(Level::Debug, message)
}

/// Logs one line at info level.
pub fn info(message: impl AsRef<[u8]>) {
    write(Level::Info, message)
}

/// Logs one line at warn level.
pub fn warn(message: impl AsRef<[u8]>) {
    write(Level::Warn, message)
}

/// Logs one line at error level.
pub fn error(message: impl AsRef<[u8]>) {
    write(Level::Error, message)
}
