//! A drop-in replacement for libextism: runs Extism WebAssembly plugins behind the libextism
//! 1.x C API, and offers the same capabilities as a Rust API.
//!
//! The core (everything outside [`ffi`]) is safe Rust that knows nothing about C; the C layer
//! in `ffi` checks pointers, catches panics and calls the core. The contract, C API and guest
//! ABI alike, is `docs/abi.md`.
//!
//! # Where is X
//!
//! Modules use only modules of the layers below their own (`.ci/layers.py` checks it):
//!
//! | layer | module | what it holds |
//! |---|---|---|
//! | 0 | `error` | the core's error type |
//! | 1 | `manifest` | manifest types and parsing (no I/O) |
//! | 1 | `vars` | the var store's accounting |
//! | 1 | `log` | process-wide log sinks, log levels, a plugin's own logger |
//! | 1 | `disk_cache` | compiled modules on disk (`EXTISM_CACHE_CONFIG`) |
//! | 1 | `kernel` | Extism memory: the kernel module, block allocator, input/output/error records |
//! | 2 | `http` | the HTTP client: allowed hosts, redirects, limits, remote modules |
//! | 2 | `store` | what each plugin's wasmtime store carries; `max_pages` budget; run state |
//! | 3 | `timer` | timeouts and cancellation: the epoch ticker and deadlines |
//! | 3 | `wasi` | the WASI context: preopened directories, stdio |
//! | 3 | `host_fn` | host functions: [`Function`], [`CurrentPlugin`] |
//! | 4 | `pdk` | every `extism:host/env` function guests import (memory, config, vars, HTTP, logs) |
//! | 5 | `engine` | engines per configuration, the kernel module, the in-memory module cache |
//! | 6 | `link` | how imports are satisfied; creating a store and instantiating its modules |
//! | 7 | `plugin` | [`Plugin`] and the call protocol: timeouts, output, errors, return codes |
//! | 8 | `compile` | [`PluginBuilder`], [`CompiledPlugin`], loading a manifest's modules |
//! | 9 | [`ffi`] | the C API, one file per type family |

mod compile;
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
mod store;
mod timer;
mod vars;
mod wasi;

pub use compile::{CompiledPlugin, PluginBuilder};
pub use error::{Error, Result};
pub use host_fn::{CurrentPlugin, Function, ValType, DEFAULT_NAMESPACE, PTR};
pub use log::{drain_lines, install as install_log_sink, Level, LogCallback, LogSink};
pub use manifest::{
    DataSource, Manifest, MemoryOptions, RawBytes, Wasm, WasmData, WasmFile, WasmUrl,
};
pub use plugin::{CallOutcome, CancelHandle, FunctionSignature, Plugin, RC_TRAP, TIMEOUT_MESSAGE};
pub use wasmtime::Val;

/// This library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
