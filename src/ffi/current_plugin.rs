//! Inside a host function: `extism_current_plugin_*`.

use std::ffi::{c_char, c_void};

use super::{c_str_lossy, ffi_boundary, ExtismMemoryHandle, ExtismSize};
use crate::host_fn::CurrentPlugin;

/// The plugin a host function is running in. Valid only during the callback; never freed by
/// the caller.
pub struct ExtismCurrentPlugin {
    _private: [u8; 0],
}

/// The `CurrentPlugin` behind a callback's `plugin` argument, or the fallback for NULL.
macro_rules! try_current {
    ($ptr:expr) => {{
        let ptr = $ptr.cast::<CurrentPlugin<'static>>();
        // SAFETY: a non-NULL `ExtismCurrentPlugin*` is the `CurrentPlugin` the callback glue
        // passed in, alive until the callback returns, which the contract requires.
        match unsafe { ptr.as_mut() } {
            Some(current) => current,
            None => return $crate::ffi::Fallback::fallback(),
        }
    }};
}

/// Base address of Extism memory; block `h` is at base + h. The base may move after any
/// allocation, so fetch it again after `extism_current_plugin_memory_alloc`. NULL for NULL.
///
/// # Safety
/// `plugin` is NULL or the callback's `plugin` argument, used during the callback.
#[no_mangle]
pub unsafe extern "C" fn extism_current_plugin_memory(plugin: *mut ExtismCurrentPlugin) -> *mut u8 {
    ffi_boundary! {
        try_current!(plugin).memory().as_mut_ptr()
    }
}

/// Allocates a block of `n` bytes in Extism memory and returns its handle; 0 when `n` is 0,
/// memory is exhausted, `max_pages` refuses the growth, or `plugin` is NULL.
///
/// # Safety
/// `plugin` is NULL or the callback's `plugin` argument, used during the callback.
#[no_mangle]
pub unsafe extern "C" fn extism_current_plugin_memory_alloc(
    plugin: *mut ExtismCurrentPlugin,
    n: ExtismSize,
) -> ExtismMemoryHandle {
    ffi_boundary! {
        try_current!(plugin).alloc(n)
    }
}

/// Used length of the live block whose handle is exactly `n`; 0 for anything else or NULL.
///
/// # Safety
/// `plugin` is NULL or the callback's `plugin` argument, used during the callback.
#[no_mangle]
pub unsafe extern "C" fn extism_current_plugin_memory_length(
    plugin: *mut ExtismCurrentPlugin,
    n: ExtismMemoryHandle,
) -> ExtismSize {
    ffi_boundary! {
        try_current!(plugin).length(n)
    }
}

/// Releases a block. 0, unknown handles and NULL `plugin` are ignored.
///
/// # Safety
/// `plugin` is NULL or the callback's `plugin` argument, used during the callback.
#[no_mangle]
pub unsafe extern "C" fn extism_current_plugin_memory_free(
    plugin: *mut ExtismCurrentPlugin,
    ptr: ExtismMemoryHandle,
) {
    ffi_boundary! {
        try_current!(plugin).free(ptr)
    }
}

/// The `host_context` given to the running `extism_plugin_call_with_host_context`; NULL for a
/// plain `extism_plugin_call`, a NULL context, or NULL `plugin`.
///
/// # Safety
/// `plugin` is NULL or the callback's `plugin` argument, used during the callback.
#[no_mangle]
pub unsafe extern "C" fn extism_current_plugin_host_context(
    plugin: *mut ExtismCurrentPlugin,
) -> *mut c_void {
    ffi_boundary! {
        try_current!(plugin).host_context() as *mut c_void
    }
}

/// Makes the running call fail once the callback returns: the guest is not resumed, the call
/// returns -1, and `extism_plugin_error` returns a copy of `message` (converted lossily to
/// UTF-8). Outputs written by the callback are ignored. The last message wins. NULL
/// arguments: no effect.
///
/// # Safety
/// `plugin` is NULL or the callback's `plugin` argument, used during the callback; `message`
/// is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn extism_current_plugin_set_error(
    plugin: *mut ExtismCurrentPlugin,
    message: *const c_char,
) {
    ffi_boundary! {
        let current = try_current!(plugin);
        // SAFETY: NULL or NUL-terminated, per the contract.
        let Some(message) = (unsafe { c_str_lossy(message) }) else {
            return;
        };
        current.set_error(message.into_owned());
    }
}

/// Logs `message` (converted lossily to UTF-8) at `level` (0 trace … 4 error) as the plugin
/// would with its `log_*` calls: to the process-wide sink, tagged with the plugin's id, and
/// to the plugin's log callback. NULL arguments or another level: no effect.
///
/// # Safety
/// `plugin` is NULL or the callback's `plugin` argument, used during the callback; `message`
/// is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn extism_current_plugin_log(
    plugin: *mut ExtismCurrentPlugin,
    level: i32,
    message: *const c_char,
) {
    ffi_boundary! {
        let current = try_current!(plugin);
        let Some(level) = crate::log::Level::from_number(level) else { return };
        // SAFETY: NULL or NUL-terminated, per the contract.
        let Some(message) = (unsafe { c_str_lossy(message) }) else {
            return;
        };
        current.log(level, &message);
    }
}
