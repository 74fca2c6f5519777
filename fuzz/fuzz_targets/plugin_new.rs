//! Arbitrary bytes → `extism_plugin_new` through the C API, without host functions or WASI.
//!
//! Checks: a NULL plugin always comes with an errmsg, prefixed as documented; a plugin never
//! comes with one. Both are freed with their own free functions. Manifests that name files,
//! URLs or raw pointers are skipped (see `common::self_contained`).

#![no_main]

mod common;

use std::ffi::{c_char, CStr};

use extism::ffi::plugin::{extism_plugin_free, extism_plugin_new, extism_plugin_new_error_free};
use libfuzzer_sys::fuzz_target;

const PREFIX: &str = "Unable to compile Extism plugin: ";

fuzz_target!(init: common::disable_disk_cache(), |data: &[u8]| {
    if common::unsafe_manifest(data).is_some() {
        return;
    }
    let mut errmsg: *mut c_char = std::ptr::null_mut();
    // SAFETY: `data` is `data.len()` readable bytes, no functions are passed, and `errmsg`
    // is a writable pointer.
    let plugin = unsafe {
        extism_plugin_new(
            data.as_ptr(),
            data.len() as u64,
            std::ptr::null_mut(),
            0,
            false,
            &mut errmsg,
        )
    };
    if plugin.is_null() {
        assert!(!errmsg.is_null(), "extism_plugin_new returned NULL without an errmsg");
        // SAFETY: a non-NULL errmsg is a NUL-terminated string from the library.
        let text = unsafe { CStr::from_ptr(errmsg) };
        let text = text.to_str().expect("errmsg is UTF-8");
        assert!(text.starts_with(PREFIX), "errmsg lacks the compile prefix: {text:?}");
        assert!(text.len() > PREFIX.len(), "errmsg has no cause after the prefix");
        // SAFETY: `errmsg` was written by extism_plugin_new and is freed once.
        unsafe { extism_plugin_new_error_free(errmsg) };
    } else {
        assert!(errmsg.is_null(), "extism_plugin_new set an errmsg and returned a plugin");
        // SAFETY: `plugin` is a live plugin, freed once.
        unsafe { extism_plugin_free(plugin) };
    }
});
