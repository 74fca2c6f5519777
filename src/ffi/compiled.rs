//! Compiled plugins: `extism_compiled_plugin_*` and `extism_plugin_new_from_compiled`.

use std::ffi::c_char;

use super::function::ExtismFunction;
use super::plugin::{builder, into_handle, ExtismPlugin, COMPILE_PREFIX, CREATE_PREFIX};
use super::{ffi_boundary, free_box, set_errmsg, ExtismSize};
use crate::compile::CompiledPlugin;
use crate::error::Error;

/// A compiled plugin. Created by `extism_compiled_plugin_new*`, freed by
/// `extism_compiled_plugin_free`.
pub struct ExtismCompiledPlugin {
    compiled: CompiledPlugin,
}

/// The body of both `extism_compiled_plugin_new*`.
///
/// # Safety
/// As for `extism_compiled_plugin_new`.
unsafe fn compile(
    wasm: *const u8,
    wasm_size: ExtismSize,
    functions: *const *const ExtismFunction,
    n_functions: ExtismSize,
    with_wasi: bool,
    fuel_limit: Option<u64>,
    errmsg: *mut *mut c_char,
) -> *mut ExtismCompiledPlugin {
    // SAFETY: the arguments are as `builder` requires (this function's contract).
    let builder = unsafe {
        builder(
            wasm,
            wasm_size,
            functions,
            n_functions,
            with_wasi,
            fuel_limit,
        )
    };
    let compiled = builder.and_then(|b| b.compile().map_err(|e| e.prefixed(COMPILE_PREFIX)));
    let wrap = |compiled| Box::into_raw(Box::new(ExtismCompiledPlugin { compiled }));
    // SAFETY: `errmsg` is NULL or writable (this function's contract).
    unsafe { into_handle(compiled, errmsg, wrap) }
}

/// Classifies and parses `wasm` (wasm, WAT, or a TOML/JSON manifest; copied), loads and
/// compiles every module, and returns a compiled plugin to make plugins from with
/// `extism_plugin_new_from_compiled`; free it with `extism_compiled_plugin_free`. Nothing is
/// linked yet, so missing imports are reported when plugins are made. The functions are moved
/// in as for `extism_plugin_new` and shared by every plugin made from the result.
/// On failure returns NULL and sets `*errmsg` (when not NULL) to
/// `Unable to compile Extism plugin: <cause>`, freed with `extism_plugin_new_error_free`.
/// Thread-safe.
///
/// # Safety
/// As for `extism_plugin_new`.
#[no_mangle]
pub unsafe extern "C" fn extism_compiled_plugin_new(
    wasm: *const u8,
    wasm_size: ExtismSize,
    functions: *mut *const ExtismFunction,
    n_functions: ExtismSize,
    with_wasi: bool,
    errmsg: *mut *mut c_char,
) -> *mut ExtismCompiledPlugin {
    ffi_boundary! {
        // SAFETY: the arguments are as this function's `# Safety` section requires.
        unsafe { compile(wasm, wasm_size, functions, n_functions, with_wasi, None, errmsg) }
    }
}

/// Like `extism_compiled_plugin_new`, with a per-call fuel budget (see
/// `extism_plugin_new_with_fuel_limit`) for every plugin made from the result.
///
/// # Safety
/// As for `extism_plugin_new`.
#[no_mangle]
pub unsafe extern "C" fn extism_compiled_plugin_new_with_fuel_limit(
    wasm: *const u8,
    wasm_size: ExtismSize,
    functions: *mut *const ExtismFunction,
    n_functions: ExtismSize,
    with_wasi: bool,
    fuel_limit: u64,
    errmsg: *mut *mut c_char,
) -> *mut ExtismCompiledPlugin {
    ffi_boundary! {
        let fuel = Some(fuel_limit);
        // SAFETY: the arguments are as this function's `# Safety` section requires.
        unsafe { compile(wasm, wasm_size, functions, n_functions, with_wasi, fuel, errmsg) }
    }
}

/// Frees a compiled plugin. Plugins already made from it stay valid. NULL is a no-op.
///
/// # Safety
/// `plugin` is NULL or a compiled plugin that has not been freed yet.
#[no_mangle]
pub unsafe extern "C" fn extism_compiled_plugin_free(plugin: *mut ExtismCompiledPlugin) {
    ffi_boundary! {
        // SAFETY: compiled plugins are made by `Box::into_raw`, and the caller frees each once.
        unsafe { free_box(plugin) }
    }
}

/// Makes an independent plugin from a compiled one: its own store, instances, memory, vars
/// and config copy. Links and checks every import. Returns the plugin (freed with
/// `extism_plugin_free`), or NULL with `*errmsg` (when not NULL) set to
/// `Unable to create Extism plugin: <cause>`. May be called on one compiled plugin from several
/// threads at once.
///
/// # Safety
/// `compiled` is NULL or a live compiled plugin; `errmsg` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_new_from_compiled(
    compiled: *const ExtismCompiledPlugin,
    errmsg: *mut *mut c_char,
) -> *mut ExtismPlugin {
    ffi_boundary! {
        // SAFETY: NULL or a live compiled plugin, per the contract.
        let Some(compiled) = (unsafe { compiled.as_ref() }) else {
            let err = Error::msg("Cannot pass null pointer").prefixed(CREATE_PREFIX);
            // SAFETY: NULL or writable, per the contract.
            unsafe { set_errmsg(errmsg, &err) };
            return std::ptr::null_mut();
        };
        let plugin = compiled.compiled.instantiate().map_err(|e| e.prefixed(CREATE_PREFIX));
        // SAFETY: NULL or writable, per the contract.
        unsafe { into_handle(plugin, errmsg, ExtismPlugin::boxed) }
    }
}
