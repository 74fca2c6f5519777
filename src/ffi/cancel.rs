//! `extism_plugin_cancel_handle`, `extism_plugin_cancel`.

use super::plugin::ExtismPlugin;
use super::{ffi_boundary, try_ref};
use crate::plugin::CancelHandle;

/// Cancels a plugin's running call. Owned by its plugin; never freed by the caller.
pub struct ExtismCancelHandle {
    pub(crate) handle: CancelHandle,
}

/// Returns the plugin's cancel handle. It lives inside the plugin, has no free function, is
/// valid until `extism_plugin_free`, and may be used from any thread. NULL `plugin` gives NULL.
///
/// # Safety
/// `plugin` is NULL or a live plugin from `extism_plugin_new*`.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_cancel_handle(
    plugin: *const ExtismPlugin,
) -> *const ExtismCancelHandle {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        &plugin.cancel as *const ExtismCancelHandle
    }
}

/// Asks the plugin's running call to stop: it then returns 134 with the error "timeout". A call
/// waiting in `http_request` stops within 50 ms; one inside a host function of the caller's
/// stops once that function returns. An idle plugin and later calls are not affected. Returns
/// true when the request was accepted (also when idle), false for NULL. Callable from any
/// thread while a call runs; never blocks. Plugins made from the same compiled plugin are
/// never affected.
///
/// # Safety
/// `handle` is NULL or comes from `extism_plugin_cancel_handle` of a plugin not yet freed.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_cancel(handle: *const ExtismCancelHandle) -> bool {
    ffi_boundary! {
        try_ref!(handle).handle.cancel()
    }
}
