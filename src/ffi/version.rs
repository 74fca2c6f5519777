//! `extism_version`.

use std::ffi::c_char;

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// This library's version as a static NUL-terminated string, for example "1.13.0". Never
/// NULL; never freed by the caller; valid for the life of the process. Thread-safe.
#[no_mangle]
pub extern "C" fn extism_version() -> *const c_char {
    VERSION.as_ptr().cast()
}
