//! A drop-in replacement for libextism: runs Extism WebAssembly plugins behind the libextism
//! 1.x C API, and offers the same capabilities as a Rust API.
//!
//! The core (everything outside [`ffi`]) is safe Rust that knows nothing about C; the C layer
//! in `ffi` checks pointers, catches panics and calls the core.

mod disk_cache;
mod engine;
mod error;
pub mod ffi;
mod host_fn;
mod http;
mod kernel;
mod link;
mod log;
mod manifest;
mod pdk;
mod plugin;
mod stack;
mod store;
mod timer;
mod validate;
mod vars;
mod wasi;

pub use error::{Error, Result};
pub use host_fn::{CurrentPlugin, Function, ValType, DEFAULT_NAMESPACE, PTR};
pub use log::{drain_lines, install as install_log_sink, Level, LogCallback, LogSink};
pub use manifest::{
    DataSource, Manifest, MemoryOptions, RawBytes, Wasm, WasmData, WasmFile, WasmUrl,
};
pub use plugin::{
    CallOutcome, CancelHandle, CompiledPlugin, FunctionSignature, Plugin, PluginBuilder, RC_TRAP,
    TIMEOUT_MESSAGE,
};
pub use wasmtime::Val;

/// This library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
