//! Helpers shared by the integration tests: plugin paths, loading, and calls that capture the
//! return code, the error and the output together.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]

use std::path::PathBuf;

use extism::{Error, Function, Manifest, Plugin, PluginBuilder, Wasm};

/// Prefix of the C API's compile-stage errors (docs/abi.md §4.2).
pub const COMPILE_PREFIX: &str = "Unable to compile Extism plugin: ";
/// Prefix of the C API's link-stage errors for plugins made from a compiled plugin.
pub const CREATE_PREFIX: &str = "Unable to create Extism plugin: ";

/// Absolute path of a test plugin in `c-tests/plugins`.
pub fn plugin_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("c-tests")
        .join("plugins")
        .join(name)
}

/// The bytes of a test plugin.
pub fn plugin_bytes(name: &str) -> Vec<u8> {
    let path = plugin_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A manifest holding one test plugin, loaded from its file.
pub fn manifest_for(name: &str) -> Manifest {
    Manifest::new([Wasm::file(plugin_path(name))])
}

/// Loads a test plugin (raw wasm bytes, no host functions).
pub fn load(name: &str, with_wasi: bool) -> Plugin {
    Plugin::new(plugin_bytes(name), Vec::<Function>::new(), with_wasi)
        .unwrap_or_else(|e| panic!("{name} did not load: {e}"))
}

/// Builds a plugin from a manifest, panicking with the error on failure.
pub fn build(manifest: Manifest, with_wasi: bool) -> Plugin {
    PluginBuilder::from_manifest(manifest)
        .with_wasi(with_wasi)
        .build()
        .unwrap_or_else(|e| panic!("plugin did not load: {e}"))
}

/// Everything a call leaves behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub rc: i32,
    pub error: Option<String>,
    pub output: Vec<u8>,
}

impl Call {
    /// The output as text (lossy), for messages and comparisons.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.output).into_owned()
    }
}

/// Calls `func` with `input` and captures rc, error and output.
pub fn call(plugin: &Plugin, func: &str, input: impl AsRef<[u8]>) -> Call {
    let outcome = plugin.call_with_context(func, input.as_ref(), 0);
    let output = plugin.output();
    Call {
        rc: outcome.rc,
        error: outcome.error,
        output,
    }
}

/// Asserts a successful call (rc 0, no error) with exactly `expected` as output.
#[track_caller]
pub fn assert_output(plugin: &Plugin, func: &str, input: impl AsRef<[u8]>, expected: &[u8]) {
    let c = call(plugin, func, input);
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (0, None),
        "{func}: unexpected rc/error (output {:?})",
        c.text()
    );
    assert_eq!(
        c.output,
        expected,
        "{func}: output {:?}, expected {:?}",
        c.text(),
        String::from_utf8_lossy(expected)
    );
}

/// Asserts that a constructor error carries exactly `cause`, either bare (the Rust API) or
/// behind one of the C API's constructor prefixes (docs/abi.md §4.2).
#[track_caller]
pub fn assert_cause(err: &Error, cause: &str) {
    let message = err.message();
    let ok = message == cause
        || message.strip_prefix(COMPILE_PREFIX) == Some(cause)
        || message.strip_prefix(CREATE_PREFIX) == Some(cause);
    assert!(ok, "error {message:?}, expected the cause {cause:?}");
}

/// The cause of a constructor error, without a C API prefix if one is present.
pub fn cause(err: &Error) -> &str {
    let message = err.message();
    message
        .strip_prefix(COMPILE_PREFIX)
        .or_else(|| message.strip_prefix(CREATE_PREFIX))
        .unwrap_or(message)
}

/// Deterministic pseudo-random bytes (xorshift64*), so large-input tests are reproducible.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}
