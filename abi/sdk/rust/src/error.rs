use std::fmt;

use crate::sys;

/// Error is what a failing NexusTask call returns, and what a task returns
/// to fail.
///
/// The first five variants are the ABI's result codes, produced by the
/// host; [`Error::Unknown`] carries a negative code this crate does not
/// know yet (ABI versions only add codes). [`Error::Task`] is a failure the
/// task itself raises: [`run`](crate::run) reports its message with
/// `error_set` and returns its code from `nexus_run`.
///
/// `&str` and `String` convert into `Error::Task` with code 1, so a handler
/// can write `return Err("bad input".into())` or use `?` on
/// `Result<_, String>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `ERR_NOT_FOUND` (-1): the key, value or checkpoint does not exist.
    NotFound,
    /// `ERR_LIMIT` (-2): a size limit was reached (output cap, value size,
    /// kv namespace total, checkpoint size).
    Limit,
    /// `ERR_DENIED` (-3): the task lacks the capability (no kv store, or a
    /// pure module writing kv).
    Denied,
    /// `ERR_INVALID` (-4): an argument is malformed (an empty or oversize
    /// key), or a value is not what the caller asked for (a configuration
    /// value that is not UTF-8).
    Invalid,
    /// `ERR_INTERNAL` (-5): the host failed; the task may retry or fail.
    Internal,
    /// `ERR_FAILED` (-6): the awaited child task failed, died or was
    /// canceled.
    Failed,
    /// A negative result code unknown to this version of the crate.
    Unknown(i32),
    /// A failure raised by the task: `message` is reported as the task's
    /// error and `code` is returned from `nexus_run` (0 is turned into 1,
    /// since 0 means success).
    Task {
        /// The non-zero value `nexus_run` returns.
        code: i32,
        /// The task's error message.
        message: String,
    },
}

impl Error {
    /// Returns a task failure with code 1 and the given message.
    pub fn new(message: impl Into<String>) -> Error {
        Error::with_code(1, message)
    }

    /// Returns a task failure that makes `nexus_run` return `code`.
    pub fn with_code(code: i32, message: impl Into<String>) -> Error {
        Error::Task {
            code,
            message: message.into(),
        }
    }

    /// Returns the error for a negative ABI result code.
    pub fn from_code(code: i32) -> Error {
        match code {
            sys::ERR_NOT_FOUND => Error::NotFound,
            sys::ERR_LIMIT => Error::Limit,
            sys::ERR_DENIED => Error::Denied,
            sys::ERR_INVALID => Error::Invalid,
            sys::ERR_INTERNAL => Error::Internal,
            sys::ERR_FAILED => Error::Failed,
            other => Error::Unknown(other),
        }
    }

    /// Returns the ABI result code of a host error (always negative), or
    /// the code of a task failure.
    pub fn code(&self) -> i32 {
        match self {
            Error::NotFound => sys::ERR_NOT_FOUND,
            Error::Limit => sys::ERR_LIMIT,
            Error::Denied => sys::ERR_DENIED,
            Error::Invalid => sys::ERR_INVALID,
            Error::Internal => sys::ERR_INTERNAL,
            Error::Failed => sys::ERR_FAILED,
            Error::Unknown(code) => *code,
            Error::Task { code, .. } => *code,
        }
    }

    /// Returns what `nexus_run` returns when a task fails with this error:
    /// the code of a task failure, or 1 for a host error. Never 0.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Task { code, .. } if *code != 0 => *code,
            _ => 1,
        }
    }
}

/// Turns a host result into `Ok(result)` if it is not negative.
pub(crate) fn check(result: i32) -> Result<i32, Error> {
    if result < 0 {
        Err(Error::from_code(result))
    } else {
        Ok(result)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound => f.write_str("nexus: not found (ERR_NOT_FOUND)"),
            Error::Limit => f.write_str("nexus: limit reached (ERR_LIMIT)"),
            Error::Denied => f.write_str("nexus: capability denied (ERR_DENIED)"),
            Error::Invalid => f.write_str("nexus: invalid argument (ERR_INVALID)"),
            Error::Internal => f.write_str("nexus: host failure (ERR_INTERNAL)"),
            Error::Failed => f.write_str("nexus: child task failed (ERR_FAILED)"),
            Error::Unknown(code) => write!(f, "nexus: result code {}", code),
            Error::Task { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error::new(message)
    }
}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error::new(message)
    }
}

impl From<Error> for std::io::Error {
    fn from(err: Error) -> std::io::Error {
        let kind = match err {
            Error::NotFound => std::io::ErrorKind::NotFound,
            Error::Denied => std::io::ErrorKind::PermissionDenied,
            Error::Invalid => std::io::ErrorKind::InvalidInput,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, err)
    }
}
