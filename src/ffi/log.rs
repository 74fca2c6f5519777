//! Process-wide logging: `extism_log_file`, `extism_log_custom`, `extism_log_drain`.

use std::ffi::c_char;

use super::{c_str, ffi_boundary, to_c_string, ExtismSize};
use crate::log::{drain_lines, install, LogSink};

/// Receives one drained log line: `data` is NUL-terminated and valid only during the call;
/// `size` counts its bytes, newline included, NUL excluded. Must not unwind or `longjmp`
/// through this library.
pub type ExtismLogDrainFunctionType =
    Option<unsafe extern "C" fn(data: *const c_char, size: ExtismSize)>;

/// Reads an optional string argument: NULL gives `default`, invalid UTF-8 gives `None`.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that lives as long as `default`.
unsafe fn optional_str(ptr: *const c_char, default: &str) -> Option<&str> {
    // SAFETY: NULL or NUL-terminated and as long-lived as `default` (this function's contract).
    match unsafe { c_str(ptr) } {
        None => Some(default),
        Some(Ok(text)) => Some(text),
        Some(Err(_)) => None,
    }
}

/// Installs the process-wide log sink, once per process. `filename`: "stderr" or "-" (or
/// NULL) for standard error with colours, "stdout" for standard output with colours, anything
/// else a file opened for appending (created if missing), without colours. `log_level`: a
/// level name (`trace`, `debug`, `info`, `warn`, `error`; NULL means "error"), applied to the
/// runtime's `extism` targets, or a full filter directive list such as
/// `extism=trace,cranelift=debug`. Returns false if a sink is already installed (by either
/// this function or `extism_log_custom`), a string is not UTF-8, or the file cannot be opened.
/// Thread-safe.
///
/// # Safety
/// Each argument is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn extism_log_file(
    filename: *const c_char,
    log_level: *const c_char,
) -> bool {
    ffi_boundary! {
        // SAFETY: each is NULL or NUL-terminated, per the contract.
        let args = unsafe { (optional_str(filename, "stderr"), optional_str(log_level, "error")) };
        let (Some(filename), Some(level)) = args else {
            return false;
        };
        let sink = match filename {
            "stderr" | "-" => LogSink::Stderr,
            "stdout" => LogSink::Stdout,
            path => LogSink::File(path.into()),
        };
        install(sink, Some(level)).is_ok()
    }
}

/// Installs an in-memory sink, once per process, with the same `log_level` rules as
/// `extism_log_file`; each event becomes one line, read with `extism_log_drain`. Returns false
/// if a sink is already installed or `log_level` is not UTF-8. Thread-safe.
///
/// # Safety
/// `log_level` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn extism_log_custom(log_level: *const c_char) -> bool {
    ffi_boundary! {
        // SAFETY: NULL or NUL-terminated, per the contract.
        let Some(level) = (unsafe { optional_str(log_level, "error") }) else {
            return false;
        };
        install(LogSink::Buffer, Some(level)).is_ok()
    }
}

/// Removes each buffered line, oldest first, and calls `handler` with it. Does nothing unless
/// `extism_log_custom` was used, or for a NULL `handler`. Thread-safe.
///
/// # Safety
/// `handler` is NULL or a function that follows `ExtismLogDrainFunctionType`'s contract.
#[no_mangle]
pub unsafe extern "C" fn extism_log_drain(handler: ExtismLogDrainFunctionType) {
    ffi_boundary! {
        let Some(handler) = handler else { return };
        drain_lines(|line| {
            let text = to_c_string(&String::from_utf8_lossy(line));
            let size = text.as_bytes().len() as ExtismSize;
            // SAFETY: `text` is NUL-terminated and outlives the call.
            unsafe { handler(text.as_ptr(), size) };
        });
    }
}
