//! Plugin creation, calls, output and errors: `extism_plugin_*`.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CString};
use std::sync::{Arc, Mutex, OnceLock};

use super::cancel::ExtismCancelHandle;
use super::function::{take_functions, ExtismFunction};
use super::{
    c_str, ffi_boundary, free_box, set_errmsg, slice, to_c_string, try_ref, try_str, CStringSlot,
    ExtismSize, UserData,
};
use crate::compile::PluginBuilder;
use crate::error::{Error, Result};
use crate::log::Level;
use crate::plugin::Plugin;

/// Prefix of every `extism_plugin_new*` and `extism_compiled_plugin_new*` failure.
pub(crate) const COMPILE_PREFIX: &str = "Unable to compile Extism plugin: ";
/// Prefix of `extism_plugin_new_from_compiled` failures.
pub(crate) const CREATE_PREFIX: &str = "Unable to create Extism plugin: ";

/// A plugin. Created by `extism_plugin_new*`, freed by `extism_plugin_free`.
pub struct ExtismPlugin {
    pub(crate) plugin: Plugin,
    pub(crate) cancel: ExtismCancelHandle,
    error: CStringSlot,
    /// The values `extism_plugin_var_get` handed out, by key; one is replaced only when its
    /// var's value has changed (docs/abi.md D10).
    var_values: Mutex<BTreeMap<String, Vec<u8>>>,
    /// `extism_plugin_exports`' answer, made on first use.
    exports: OnceLock<CString>,
}

impl ExtismPlugin {
    pub(crate) fn boxed(plugin: Plugin) -> *mut ExtismPlugin {
        let cancel = ExtismCancelHandle {
            handle: plugin.cancel_handle(),
        };
        Box::into_raw(Box::new(ExtismPlugin {
            plugin,
            cancel,
            error: CStringSlot::default(),
            var_values: Mutex::new(BTreeMap::new()),
            exports: OnceLock::new(),
        }))
    }
}

/// Reads the arguments shared by the constructors. Function-array errors carry no prefix;
/// a bad `wasm` argument gets the compile prefix.
///
/// # Safety
/// `wasm` is NULL or points to `wasm_size` bytes that stay readable and unchanged for `'a`;
/// `functions` is as [`take_functions`] requires.
pub(crate) unsafe fn builder<'a>(
    wasm: *const u8,
    wasm_size: ExtismSize,
    functions: *const *const ExtismFunction,
    n_functions: ExtismSize,
    with_wasi: bool,
    fuel_limit: Option<u64>,
) -> Result<PluginBuilder<'a>> {
    if wasm.is_null() {
        return Err(Error::msg("Cannot pass null pointer").prefixed(COMPILE_PREFIX));
    }
    // SAFETY: `wasm_size` bytes at `wasm`, valid for `'a` (this function's contract).
    let bytes = unsafe { slice(wasm, wasm_size) }.map_err(|e| e.prefixed(COMPILE_PREFIX))?;
    // SAFETY: as `take_functions` requires (this function's contract).
    let functions = unsafe { take_functions(functions, n_functions) }?;
    let builder = PluginBuilder::borrowed(bytes)
        .with_functions(functions)
        .with_wasi(with_wasi);
    Ok(match fuel_limit {
        Some(fuel) => builder.with_fuel_limit(fuel),
        None => builder,
    })
}

/// A constructor's result as a handle: `wrap`ped on success; NULL with `*errmsg` set on
/// failure.
///
/// # Safety
/// `errmsg` is NULL or points to a writable `char *`.
pub(crate) unsafe fn into_handle<T, H>(
    result: Result<T>,
    errmsg: *mut *mut c_char,
    wrap: impl FnOnce(T) -> *mut H,
) -> *mut H {
    match result {
        Ok(value) => wrap(value),
        Err(err) => {
            // SAFETY: NULL or writable (this function's contract).
            unsafe { set_errmsg(errmsg, &err) };
            std::ptr::null_mut()
        }
    }
}

/// Compiles and links `wasm` (a wasm binary, WAT text, or a TOML/JSON manifest; copied, so the
/// caller may free it afterwards) and returns a new plugin, freed with `extism_plugin_free`.
/// Each function of `functions` (an array of `n_functions` pointers, or NULL for none) is
/// moved into the plugin; the wrappers must still be freed with `extism_function_free`.
/// `with_wasi` enables WASI preview1.
///
/// On failure returns NULL and, when `errmsg` is not NULL, stores a message in `*errmsg`
/// (`Unable to compile Extism plugin: <cause>`, or "Cannot pass null pointer" / "Function
/// cannot be registered with multiple different Plugins" for a bad function array), to be
/// freed with `extism_plugin_new_error_free`. `*errmsg` is untouched on success.
/// Thread-safe.
///
/// # Safety
/// `wasm` points to `wasm_size` readable bytes; `functions` is NULL or points to
/// `n_functions` pointers, each NULL or a live `ExtismFunction`; `errmsg` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_new(
    wasm: *const u8,
    wasm_size: ExtismSize,
    functions: *mut *const ExtismFunction,
    n_functions: ExtismSize,
    with_wasi: bool,
    errmsg: *mut *mut c_char,
) -> *mut ExtismPlugin {
    ffi_boundary! {
        // SAFETY: the arguments are as this function's `# Safety` section requires.
        let builder = unsafe { builder(wasm, wasm_size, functions, n_functions, with_wasi, None) };
        let plugin = builder.and_then(|b| b.build().map_err(|e| e.prefixed(COMPILE_PREFIX)));
        // SAFETY: `errmsg` is NULL or writable, per the contract.
        unsafe { into_handle(plugin, errmsg, ExtismPlugin::boxed) }
    }
}

/// Like `extism_plugin_new`, with a per-call budget of `fuel_limit` units (about one per wasm
/// instruction), refilled at the start of every call. A call that runs out fails with -1 and
/// "plugin ran out of fuel". Compile failures are prefixed "Unable to compile Extism plugin:
/// ", link failures "Unable to create Extism plugin: ". Thread-safe.
///
/// # Safety
/// As for `extism_plugin_new`.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_new_with_fuel_limit(
    wasm: *const u8,
    wasm_size: ExtismSize,
    functions: *mut *const ExtismFunction,
    n_functions: ExtismSize,
    with_wasi: bool,
    fuel_limit: u64,
    errmsg: *mut *mut c_char,
) -> *mut ExtismPlugin {
    ffi_boundary! {
        let fuel = Some(fuel_limit);
        // SAFETY: the arguments are as this function's `# Safety` section requires.
        let builder = unsafe { builder(wasm, wasm_size, functions, n_functions, with_wasi, fuel) };
        let plugin = builder
            .and_then(|b| b.compile_for_one().map_err(|e| e.prefixed(COMPILE_PREFIX)))
            .and_then(|c| c.instantiate().map_err(|e| e.prefixed(CREATE_PREFIX)));
        // SAFETY: `errmsg` is NULL or writable, per the contract.
        unsafe { into_handle(plugin, errmsg, ExtismPlugin::boxed) }
    }
}

/// Frees an `errmsg` written by any constructor. NULL is a no-op. Never pass the result of
/// `extism_plugin_error`, and never free an errmsg with libc `free`.
///
/// # Safety
/// `err` is NULL or an errmsg from this library that has not been freed yet.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_new_error_free(err: *mut c_char) {
    ffi_boundary! {
        if !err.is_null() {
            // SAFETY: errmsg strings are made by `CString::into_raw` in `set_errmsg`.
            drop(unsafe { CString::from_raw(err) });
        }
    }
}

/// Frees a plugin: its store, instances, and its references to host functions (which may run
/// their `free_user_data`). NULL is a no-op. Must not race with a call on the same plugin;
/// the plugin's cancel handle, output and error pointers become invalid.
///
/// # Safety
/// `plugin` is NULL or a plugin from `extism_plugin_new*` that has not been freed yet.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_free(plugin: *mut ExtismPlugin) {
    ffi_boundary! {
        // SAFETY: plugins are made by `Box::into_raw`, and the caller frees each once.
        unsafe { free_box(plugin) }
    }
}

/// Calls `func_name` with `data[0..data_len)` as input (copied; `data` may be NULL only when
/// `data_len` is 0). Returns `EXTISM_SUCCESS` (0), the export's i32 result, 134 for a trap,
/// timeout or cancellation, a WASI exit code, or -1 for a host-side failure (NULL plugin,
/// unknown function, host-function error, out of fuel, oom). The error text is in
/// `extism_plugin_error(plugin)` (it can be set even when the result is 0); the output stays
/// valid until the next call, reset or free. Calls on one plugin from several threads are
/// serialised; a call from one of the plugin's own host functions fails with -1 ("cannot make
/// reentrant calls into plugin") instead of deadlocking.
///
/// # Safety
/// `plugin` is NULL or a live plugin; `func_name` is NULL or a NUL-terminated string; `data`
/// points to `data_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_call(
    plugin: *mut ExtismPlugin,
    func_name: *const c_char,
    data: *const u8,
    data_len: ExtismSize,
) -> i32 {
    ffi_boundary! {
        // SAFETY: same contract as this function's.
        unsafe {
            extism_plugin_call_with_host_context(plugin, func_name, data, data_len, std::ptr::null_mut())
        }
    }
}

/// Like `extism_plugin_call`; host functions read `host_context` with
/// `extism_current_plugin_host_context` during this call only. The pointer is passed
/// through unchanged and must outlive the call.
///
/// # Safety
/// As for `extism_plugin_call`.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_call_with_host_context(
    plugin: *mut ExtismPlugin,
    func_name: *const c_char,
    data: *const u8,
    data_len: ExtismSize,
    host_context: *mut c_void,
) -> i32 {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        // SAFETY: NULL or NUL-terminated, per the contract.
        let name = match unsafe { c_str(func_name) } {
            Some(Ok(name)) => name,
            Some(Err(err)) => return plugin.plugin.record_failure(err.message()),
            None => return plugin.plugin.record_failure("Cannot pass null pointer as function name"),
        };
        // SAFETY: `data_len` readable bytes at `data` for the call, per the contract.
        let input = match unsafe { slice(data, data_len) } {
            Ok(input) => input,
            Err(err) => return plugin.plugin.record_failure(err.message()),
        };
        plugin.plugin.call_with_context(name, input, host_context as usize).rc
    }
}

/// The error of the last call on `plugin`, or NULL when it had none (or for NULL `plugin`).
/// If the guest set an error, this is its message; otherwise the host-side cause. Owned by
/// the plugin and valid until the next call, config, function_exists, reset or free on that
/// plugin; never freed by the caller. Repeated queries in between, from any thread and through
/// either name, return the same pointer (docs/abi.md D10). Does not block on a running call,
/// and may be called from the plugin's own host functions.
///
/// # Safety
/// `plugin` is NULL or a live plugin.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_error(plugin: *mut ExtismPlugin) -> *const c_char {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        plugin.error.get(plugin.plugin.error().as_deref())
    }
}

/// Deprecated alias of `extism_plugin_error`, with the same contract.
///
/// # Safety
/// `plugin` is NULL or a live plugin.
#[no_mangle]
pub unsafe extern "C" fn extism_error(plugin: *mut ExtismPlugin) -> *const c_char {
    // SAFETY: same contract.
    ffi_boundary! { unsafe { extism_plugin_error(plugin) } }
}

/// Length in bytes of the output set by the last call; 0 if none (or NULL `plugin`). Does not
/// block on a running call.
///
/// # Safety
/// `plugin` is NULL or a live plugin.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_output_length(plugin: *mut ExtismPlugin) -> ExtismSize {
    ffi_boundary! {
        try_ref!(plugin).plugin.output_raw().1 as ExtismSize
    }
}

/// Pointer to the last call's output inside the plugin's memory; nothing is copied. Never NULL
/// for a live plugin, even without output. Valid until the next call, reset or free of the
/// plugin; never freed by the caller. NULL `plugin` gives NULL.
///
/// # Safety
/// `plugin` is NULL or a live plugin.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_output_data(plugin: *mut ExtismPlugin) -> *const u8 {
    ffi_boundary! {
        try_ref!(plugin).plugin.output_raw().0
    }
}

/// True if the plugin's main module exports `func_name` as `() -> ()` or `() -> i32`. False
/// for NULL arguments or a name that is not UTF-8. Clears the plugin's error. Thread-safe.
///
/// # Safety
/// `plugin` is NULL or a live plugin; `func_name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_function_exists(
    plugin: *mut ExtismPlugin,
    func_name: *const c_char,
) -> bool {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        plugin.plugin.clear_error();
        // SAFETY: NULL or NUL-terminated, per the contract.
        let Some(Ok(name)) = (unsafe { c_str(func_name) }) else {
            return false;
        };
        plugin.plugin.function_exists(name)
    }
}

/// Merges `json` (a JSON object of string keys to a string, which sets the key, or `null`,
/// which removes it; `json_size` bytes, copied) into the plugin's config. Returns true and
/// clears the plugin error on success; false for NULL arguments or input of another shape.
/// The next `config_get` sees the change, and it survives store rebuilds. Does not block on
/// a running call.
///
/// # Safety
/// `plugin` is NULL or a live plugin; `json` points to `json_size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_config(
    plugin: *mut ExtismPlugin,
    json: *const u8,
    json_size: ExtismSize,
) -> bool {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        if json.is_null() {
            return false;
        }
        // SAFETY: `json_size` readable bytes at `json` for the call, per the contract.
        let Ok(json) = (unsafe { slice(json, json_size) }) else {
            return false;
        };
        let Ok(changes) = serde_json::from_slice::<BTreeMap<String, Option<String>>>(json) else {
            return false;
        };
        if plugin.plugin.update_config(changes).is_err() {
            return false;
        }
        plugin.plugin.clear_error();
        true
    }
}

/// The plugin's id: a pointer to the 16 raw bytes of a random UUIDv4, fixed for the plugin's
/// life and used as `plugin=` in log lines. Owned by the plugin, valid until
/// `extism_plugin_free`. NULL `plugin` gives NULL.
///
/// # Safety
/// `plugin` is NULL or a live plugin.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_id(plugin: *mut ExtismPlugin) -> *const u8 {
    ffi_boundary! {
        try_ref!(plugin).plugin.id().as_ptr()
    }
}

/// Releases all of the plugin's Extism memory: every handle becomes invalid and the input,
/// output and guest error are cleared. The module's own memory, globals and vars are kept.
/// Returns true on success, false for NULL or when called from one of the plugin's own host
/// functions. Blocks while another thread is in a call on the plugin.
///
/// # Safety
/// `plugin` is NULL or a live plugin.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_reset(plugin: *mut ExtismPlugin) -> bool {
    ffi_boundary! {
        try_ref!(plugin).plugin.reset().is_ok()
    }
}

/// Makes the guest's `http_headers` return the response headers of its last request. The
/// setting survives store rebuilds. NULL is a no-op. Thread-safe.
///
/// # Safety
/// `plugin` is NULL or a live plugin.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_allow_http_response_headers(plugin: *mut ExtismPlugin) {
    ffi_boundary! {
        try_ref!(plugin).plugin.allow_http_response_headers()
    }
}

/// Reads var `key` of `plugin` between calls. Returns the value's bytes and stores their
/// length in `*len`; NULL when the var is unset, for NULL arguments, a non-UTF-8 key, or while
/// a call runs on the plugin. The bytes are owned by the plugin and valid until the next call,
/// var change, reset or free; asking again for an unchanged var returns the same pointer, and
/// asking for another var leaves this one valid (docs/abi.md D10). After a call of `_start`, the vars read (and set) here are those
/// the next call starts with: none but what the host sets in between.
///
/// # Safety
/// `plugin` is NULL or a live plugin; `key` is NULL or NUL-terminated; `len` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_var_get(
    plugin: *mut ExtismPlugin,
    key: *const c_char,
    len: *mut ExtismSize,
) -> *const u8 {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        let key = try_str!(key);
        if len.is_null() {
            return std::ptr::null();
        }
        let Ok(Some(value)) = plugin.plugin.var_get(key) else {
            return std::ptr::null();
        };
        let Ok(mut values) = plugin.var_values.lock() else {
            return std::ptr::null();
        };
        let handed_out = values.entry(key.to_owned()).or_default();
        if *handed_out != value {
            *handed_out = value;
        }
        // SAFETY: `len` is non-NULL and writable per the contract.
        unsafe { len.write(handed_out.len() as ExtismSize) };
        handed_out.as_ptr()
    }
}

/// Sets var `key` of `plugin` to `value[0..len)` (copied; `value` may be NULL only when `len`
/// is 0, meaning an empty value), with the same `max_var_bytes` accounting as the guest's
/// `var_set`. Returns false for NULL `plugin` or `key`, a non-UTF-8 key, vars disabled
/// (`max_var_bytes` 0), a full store, or while a call runs on the plugin.
///
/// # Safety
/// `plugin` is NULL or a live plugin; `key` is NULL or NUL-terminated; `value` points to `len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_var_set(
    plugin: *mut ExtismPlugin,
    key: *const c_char,
    value: *const u8,
    len: ExtismSize,
) -> bool {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        let key = try_str!(key);
        // SAFETY: `len` readable bytes at `value` for the call, per the contract.
        let Ok(value) = (unsafe { slice(value, len) }) else {
            return false;
        };
        plugin.plugin.var_set(key, value).is_ok()
    }
}

/// Removes var `key` of `plugin`; true if it existed. False for NULL arguments, a non-UTF-8
/// key, or while a call runs on the plugin.
///
/// # Safety
/// `plugin` is NULL or a live plugin; `key` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_var_remove(
    plugin: *mut ExtismPlugin,
    key: *const c_char,
) -> bool {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        let key = try_str!(key);
        plugin.plugin.var_remove(key).unwrap_or(false)
    }
}

/// A per-plugin log callback: `level` is 0 (trace) to 4 (error); `message` is NUL-terminated,
/// `len` bytes long, and valid only during the call; `user_data` is the pointer given to
/// `extism_plugin_set_log_callback`. Runs on the thread of the call that logged. Must not
/// unwind or `longjmp` through this library.
pub type ExtismPluginLogFunction = Option<
    unsafe extern "C" fn(
        level: i32,
        message: *const c_char,
        len: ExtismSize,
        user_data: *mut c_void,
    ),
>;

/// Sends this plugin's own log messages (its `log_*` calls and `extism_current_plugin_log`)
/// at or above `min_level` (0 trace … 4 error) to `callback` with `user_data`, in addition
/// to the process-wide sink. A NULL `callback` removes it. While set, the plugin's
/// `get_log_level` reports the lower of `min_level` and the process-wide level. Returns false
/// for NULL `plugin` or a `min_level` outside 0–4. Thread-safe.
///
/// # Safety
/// `plugin` is NULL or a live plugin; `callback` follows `ExtismPluginLogFunction`'s contract
/// with `user_data` until it is replaced or the plugin is freed.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_set_log_callback(
    plugin: *mut ExtismPlugin,
    callback: ExtismPluginLogFunction,
    min_level: i32,
    user_data: *mut c_void,
) -> bool {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        let Some(callback) = callback else {
            return plugin.plugin.set_log_callback(None).is_ok();
        };
        let Some(min_level) = Level::from_number(min_level) else {
            return false;
        };
        // No finalizer: the caller keeps ownership of its logger's data.
        let user_data = UserData::new(user_data, None);
        let forward = move |level: Level, message: &str| {
            let text = to_c_string(message);
            let len = text.as_bytes().len() as ExtismSize;
            // SAFETY: `text` is NUL-terminated and outlives the call; see the contract.
            unsafe { callback(level as i32, text.as_ptr(), len, user_data.get()) };
        };
        plugin.plugin.set_log_callback(Some((min_level, Arc::new(forward)))).is_ok()
    }
}

/// The plugin's main-module exported functions as a JSON array, for example
/// `[{"name":"count_vowels","params":[],"results":["i32"]}]` (types `i32`, `i64`, `f32`,
/// `f64`, `v128`, `funcref`, `externref`). Owned by the plugin, valid until it is freed; NULL
/// for NULL `plugin`. Thread-safe.
///
/// # Safety
/// `plugin` is NULL or a live plugin.
#[no_mangle]
pub unsafe extern "C" fn extism_plugin_exports(plugin: *mut ExtismPlugin) -> *const c_char {
    ffi_boundary! {
        let plugin = try_ref!(plugin);
        plugin.exports.get_or_init(|| to_c_string(&plugin.plugin.exports_json())).as_ptr()
    }
}
