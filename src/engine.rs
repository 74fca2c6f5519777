//! Engines, the kernel module, and the in-memory module cache.
//!
//! There is one process-wide engine per configuration (with and without fuel metering),
//! created on first use. The kernel module is compiled once per engine, and user modules are
//! cached by the SHA-256 of their bytes, so creating a plugin again from the same bytes costs a
//! hash and a link.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};

use wasmtime::{Config, Engine, InstancePre, Linker, Module};

use crate::error::Result;
use crate::kernel::KERNEL_WAT;
use crate::store::StoreData;

/// An engine with its kernel, ready to instantiate kernels cheaply.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) kernel: InstancePre<StoreData>,
    pub(crate) kernel_module: Module,
    fuel: bool,
}

static PLAIN: OnceLock<Result<Runtime>> = OnceLock::new();
static METERED: OnceLock<Result<Runtime>> = OnceLock::new();

/// The runtime for plugins with (`fuel`) or without fuel metering.
pub(crate) fn runtime(fuel: bool) -> Result<&'static Runtime> {
    let cell = if fuel { &METERED } else { &PLAIN };
    cell.get_or_init(|| Runtime::new(fuel))
        .as_ref()
        .map_err(Clone::clone)
}

/// Every runtime created so far, for the epoch ticker.
pub(crate) fn runtimes() -> impl Iterator<Item = &'static Runtime> {
    [&PLAIN, &METERED]
        .into_iter()
        .filter_map(|cell| cell.get().and_then(|r| r.as_ref().ok()))
}

impl Runtime {
    fn new(fuel: bool) -> Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.consume_fuel(fuel);
        if std::env::var_os("EXTISM_DEBUG").is_some() {
            config.debug_info(true);
        }
        config.cache(disk_cache());
        let engine = Engine::new(&config)?;
        let kernel_module = Module::new(&engine, KERNEL_WAT)?;
        let mut linker = Linker::new(&engine);
        crate::pdk::define(&mut linker)?;
        let kernel = linker.instantiate_pre(&kernel_module)?;
        Ok(Runtime {
            engine,
            kernel,
            kernel_module,
            fuel,
        })
    }

    /// Compiles `bytes` (wasm or WAT), or returns the cached module for the same bytes. The
    /// cache is keyed by a cryptographic hash (BLAKE3, several times faster than SHA-256 on
    /// large modules), so different bytes never share a module.
    pub(crate) fn compile(&self, bytes: &[u8]) -> Result<Module> {
        let key = (*blake3::hash(bytes).as_bytes(), self.fuel);
        if let Some(module) = cache_get(&key) {
            return Ok(module);
        }
        let module = Module::new(&self.engine, bytes)?;
        cache_put(key, module.clone());
        Ok(module)
    }
}

/// The on-disk compilation cache as `EXTISM_CACHE_CONFIG` asks: unset means wasmtime's
/// default cache, empty means none, a path names a cache configuration file. A configuration
/// that cannot be loaded means no cache rather than a failure.
fn disk_cache() -> Option<wasmtime::Cache> {
    match std::env::var_os("EXTISM_CACHE_CONFIG") {
        None => wasmtime::Cache::from_file(None).ok(),
        Some(path) if path.is_empty() => None,
        Some(path) => wasmtime::Cache::from_file(Some(std::path::Path::new(&path))).ok(),
    }
}

type CacheKey = ([u8; 32], bool);

/// How many compiled modules the in-memory cache keeps.
const CACHE_CAPACITY: usize = 64;

#[derive(Default)]
struct ModuleCache {
    modules: HashMap<CacheKey, Module>,
    order: VecDeque<CacheKey>,
}

static CACHE: OnceLock<Mutex<ModuleCache>> = OnceLock::new();

fn cache() -> &'static Mutex<ModuleCache> {
    CACHE.get_or_init(Mutex::default)
}

fn cache_get(key: &CacheKey) -> Option<Module> {
    cache().lock().ok()?.modules.get(key).cloned()
}

fn cache_put(key: CacheKey, module: Module) {
    let Ok(mut cache) = cache().lock() else {
        return;
    };
    if cache.modules.insert(key, module).is_none() {
        cache.order.push_back(key);
    }
    while cache.order.len() > CACHE_CAPACITY {
        if let Some(oldest) = cache.order.pop_front() {
            cache.modules.remove(&oldest);
        }
    }
}
