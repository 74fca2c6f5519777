//! The crate's one error type.

use std::fmt;

/// An error from the runtime: a human-readable message, as `extism_plugin_error` and the
/// constructors' `errmsg` report it.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error carrying `message`.
    pub fn msg(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }

    /// The message text.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// This error with `prefix` in front of its message.
    pub(crate) fn prefixed(self, prefix: &str) -> Self {
        Error {
            message: format!("{prefix}{}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?})", self.message)
    }
}

impl std::error::Error for Error {}

impl From<wasmtime::Error> for Error {
    /// Keeps only the innermost cause, as the reference's messages do.
    fn from(err: wasmtime::Error) -> Self {
        Error::msg(err.root_cause().to_string())
    }
}

/// The message of a panic payload.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    format!("panic: {detail}")
}

/// The guest or host tried to grow memory past the `max_pages` budget.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutOfMemory;

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oom")
    }
}

impl std::error::Error for OutOfMemory {}

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
