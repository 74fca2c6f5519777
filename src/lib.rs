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
//! | 0 | `environment` | the environment variables, read once at the first engine set-up |
//! | 1 | `stack` | running calls and compilation with enough native stack, whatever the thread |
//! | 1 | `validate` | checks a module passes before it is compiled (nesting depth) |
//! | 1 | `pool` | the instance pool's size (`EXTISM_POOL_SLOTS`), telling full and unfit apart |
//! | 1 | `process` | fork(): counting forks, and resources started again in a forked child |
//! | 2 | `manifest` | manifest types and parsing (no I/O) |
//! | 2 | `vars` | the var store's accounting |
//! | 2 | `log` | process-wide log sinks, log levels, a plugin's own logger |
//! | 2 | `disk_cache` | compiled modules on disk (`EXTISM_CACHE_CONFIG`) |
//! | 2 | `kernel` | Extism memory: the kernel module, block allocator, input/output/error records |
//! | 2 | `linear_memory` | the serving engines' linear memories: kept for reuse, reset by the pages written |
//! | 3 | `http` | the HTTP client: allowed hosts, redirects, limits, remote modules |
//! | 3 | `store` | what each plugin's wasmtime store carries; `max_pages` budget; run state |
//! | 4 | `timer` | timeouts and cancellation: the epoch ticker and deadlines |
//! | 4 | `wasi` | the WASI context: preopened directories, stdio, links kept inside mounts |
//! | 4 | `host_fn` | host functions: [`Function`], [`CurrentPlugin`] |
//! | 5 | `pdk` | every `extism:host/env` function guests import (memory, config, vars, HTTP, logs) |
//! | 6 | `engine` | engines per configuration (pooled, on demand, serving), the kernel module, the in-memory module cache |
//! | 7 | `link` | how imports are satisfied; creating a store and instantiating its modules |
//! | 8 | `plugin` | [`Plugin`] and the call protocol: timeouts, output, errors, return codes |
//! | 9 | `compile` | [`PluginBuilder`], [`CompiledPlugin`], loading a manifest's modules |
//! | 10 | [`ffi`] | the C API, one file per type family |
//!
//! # Process-wide state
//!
//! The library lives in someone else's process, so everything it keeps for the whole process
//! has one owner, which says beside it what happens at `fork()` and when it cannot be had.
//! After a fork the child has only the forking thread; `process` counts forks, and each
//! resource that owns threads is started again there on first use, the parent's copy left
//! untouched (never joined or dropped: its threads are not there to answer).
//!
//! | what | owner | in a forked child | when it cannot be had |
//! |---|---|---|---|
//! | settings from the environment | `environment` | the parent's snapshot, read once at the first engine set-up | unset reads as unset |
//! | fork count, per-process cells | `process` | counted by a `pthread_atfork` child handler | without the handler, forks are noticed by the process id |
//! | stacks kept for small threads | `stack` | the forking thread's, copied with the process | the call that needed one fails |
//! | engines, instance pools, the kernel, the module cache | `engine` | plain memory, valid in the child | a start-up error fails that creation; the next one tries again |
//! | kept linear memories, the `/proc/self/pagemap` descriptor | `linear_memory` | none kept, a descriptor of its own opened at the first reset; the parent's memories stay mapped, unused | that instantiation fails; a reset that fails unmaps the memory |
//! | the compile thread pool | `engine` | started again at the first compilation | that compilation fails; the next one tries again |
//! | the epoch ticker thread, timed-call and cancel counts | `timer` | started again at the first timed call or cancel; counts reset | that timed call fails with an error |
//! | HTTP request threads, their idle list, abandoned requests | `http` | a new list and count; the parent's threads are never used | that request fails the call |
//! | the WASI runtime (one tokio worker) | `wasi` | started again at the first WASI use | that creation or call fails |
//! | log sinks and levels | `log` | inherited working (no thread of its own); drained lines copied | installing a sink fails; a poisoned buffer drops lines |
//! | compiled modules on disk | `disk_cache` | no state beyond its directory | compiled without the cache, with a warning |

mod compile;
mod disk_cache;
mod engine;
mod environment;
mod error;
pub mod ffi;
mod host_fn;
mod http;
mod kernel;
mod linear_memory;
mod link;
mod log;
mod manifest;
mod pdk;
mod plugin;
mod pool;
mod process;
mod stack;
mod store;
mod timer;
mod validate;
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
