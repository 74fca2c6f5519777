//! Engines, the kernel module, and the in-memory module cache.
//!
//! There is one process-wide engine per configuration (with and without fuel metering),
//! created on first use, whose instances live in a pool of slots reserved once (`pool`); each
//! has a sibling with the same compiler settings that allocates instances on demand, created
//! when first needed: for plugins whose modules no slot can hold, and for stores made while
//! the pool is full. When no pool can be reserved (an address-space limit, say), the on-demand
//! engine is the only one. The kernel module is compiled once per engine, and user modules are
//! kept in memory by a fingerprint and a copy of their bytes, so creating a plugin again from
//! the same bytes costs a comparison and a link. Compiled code is also kept on disk
//! (`disk_cache`).

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, OnceLock};

use wasmtime::{Config, Engine, InstancePre, Linker, Module};

use crate::disk_cache::DiskCache;
use crate::error::{panic_text, Result};
use crate::kernel::KERNEL_WAT;
use crate::pool::{PoolSize, SlotLimits};
use crate::store::{StoreData, MEMORY_CEILING, TABLE_CEILING};

/// An engine with its kernel, ready to instantiate kernels cheaply.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) kernel: InstancePre<StoreData>,
    pub(crate) kernel_module: Module,
    fuel: bool,
    /// Instances live in a pool of slots rather than being allocated on demand.
    pooled: bool,
    /// WASI preview1, defined once and cloned into each compiled plugin's linker.
    wasi_linker: OnceLock<Result<Linker<StoreData>>>,
    /// Compiled modules on disk, as `EXTISM_CACHE_CONFIG` asks.
    disk_cache: Option<DiskCache>,
}

/// What a pool slot holds: as much as an instance allocated on demand may grow to.
const SLOT_LIMITS: SlotLimits = SlotLimits {
    memory_bytes: MEMORY_CEILING,
    table_elements: TABLE_CEILING,
};

/// The engine plugins are made with, without and with fuel metering: pooled when a pool could
/// be reserved, else the on-demand one. Only engines that started are kept (for the life of the
/// process, registered with the timer): a start-up error (a transient ENOMEM or EMFILE, say)
/// fails the creation that met it, the half-made engine is dropped with its reservation, and
/// the next creation tries again.
static PRIMARY: [OnceLock<&'static Runtime>; 2] = [OnceLock::new(), OnceLock::new()];
static ON_DEMAND: [OnceLock<&'static Runtime>; 2] = [OnceLock::new(), OnceLock::new()];
/// Held while an engine starts, so that two threads never both reserve a pool.
static STARTING: Mutex<()> = Mutex::new(());

/// The runtime for plugins with (`fuel`) or without fuel metering.
pub(crate) fn runtime(fuel: bool) -> Result<&'static Runtime> {
    let cell = &PRIMARY[usize::from(fuel)];
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let _starting = STARTING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let pooled = PoolSize::from_env(&SLOT_LIMITS).and_then(|size| {
        Runtime::new(fuel, Some(size))
            .inspect_err(|err| {
                tracing::debug!(
                    target: "extism::engine",
                    "no pool of {} instance slots: {err}; instances are allocated on demand",
                    size.slots
                )
            })
            .ok()
    });
    let runtime = match pooled {
        Some(runtime) => keep(runtime),
        None => start_on_demand(fuel)?,
    };
    Ok(cell.get_or_init(|| runtime))
}

/// The runtime with the same settings as [`runtime`] that allocates every instance on demand.
pub(crate) fn on_demand(fuel: bool) -> Result<&'static Runtime> {
    if let Some(runtime) = ON_DEMAND[usize::from(fuel)].get() {
        return Ok(runtime);
    }
    let _starting = STARTING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    start_on_demand(fuel)
}

/// [`on_demand`], for a caller that holds [`STARTING`].
fn start_on_demand(fuel: bool) -> Result<&'static Runtime> {
    let cell = &ON_DEMAND[usize::from(fuel)];
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let runtime = keep(Runtime::new(fuel, None)?);
    Ok(cell.get_or_init(|| runtime))
}

/// Keeps a runtime that started for the life of the process, and lets the timer advance its
/// engine's epoch.
fn keep(runtime: Runtime) -> &'static Runtime {
    let runtime = Box::leak(Box::new(runtime));
    crate::timer::register(&runtime.engine);
    runtime
}

/// The JIT profiler named by `EXTISM_PROFILE`: `perf` writes a perf map
/// (`/tmp/perf-<pid>.map`) so that `perf report` names the plugins' functions. The reference
/// also reads `jitdump` and `vtune` there; those need wasmtime's `profiling` feature, which this
/// build leaves out, so they are ignored like any other value rather than failing every plugin.
fn profiling_strategy() -> Option<wasmtime::ProfilingStrategy> {
    match std::env::var("EXTISM_PROFILE").ok()?.as_str() {
        "perf" => Some(wasmtime::ProfilingStrategy::PerfMap),
        _ => None,
    }
}

impl Runtime {
    fn new(fuel: bool, pool: Option<PoolSize>) -> Result<Self> {
        let mut config = Config::new();
        if let Some(size) = pool {
            config.allocation_strategy(size.config(&SLOT_LIMITS));
        }
        config.epoch_interruption(true);
        config.consume_fuel(fuel);
        // Memories stay where they were first mapped for their whole life: the saved output
        // of a call is an address into Extism memory (`Plugin::output`), and no memory may
        // grow past its 4 GiB reservation, memory64 ones included.
        config.memory_may_move(false);
        config.max_wasm_stack(crate::stack::WASM_STACK);
        if std::env::var_os("EXTISM_DEBUG").is_some() {
            config.debug_info(true);
        }
        if let Some(profiler) = profiling_strategy() {
            config.profiler(profiler);
        }
        // Copy-on-write initialisation writes each module's initial memory image to an
        // in-memory file, and a file-size limit (`ulimit -f`) smaller than the image would end
        // the process with SIGXFSZ. Under a limit, memories are initialised by copying the data
        // segments instead (slower instantiation of modules with large data segments).
        if crate::disk_cache::file_size_limit().is_some() {
            config.memory_init_cow(false);
        }
        let disk_cache = DiskCache::from_env();
        let engine = Engine::new(&config)?;
        let kernel_module = compile(disk_cache.as_ref(), &engine, KERNEL_WAT.as_bytes())?;
        let mut linker = Linker::new(&engine);
        crate::pdk::define(&mut linker)?;
        let kernel = linker.instantiate_pre(&kernel_module)?;
        Ok(Runtime {
            engine,
            kernel,
            kernel_module,
            fuel,
            pooled: pool.is_some(),
            wasi_linker: OnceLock::new(),
            disk_cache,
        })
    }

    /// A linker for a compiled plugin's store-independent imports: WASI preview1 when
    /// `with_wasi`, nothing otherwise. Later definitions (user functions) shadow earlier ones.
    pub(crate) fn base_linker(&self, with_wasi: bool) -> Result<Linker<StoreData>> {
        if !with_wasi {
            let mut linker = Linker::new(&self.engine);
            linker.allow_shadowing(true);
            return Ok(linker);
        }
        self.wasi_linker
            .get_or_init(|| {
                let mut linker = Linker::new(&self.engine);
                linker.allow_shadowing(true);
                wasmtime_wasi::p1::add_to_linker_sync(&mut linker, StoreData::wasi)?;
                crate::wasi::define_link_checks(&mut linker)?;
                // Any exit code ends the call with that code (wasmtime-wasi refuses 126 and up).
                linker.func_wrap(
                    "wasi_snapshot_preview1",
                    "proc_exit",
                    |code: i32| -> wasmtime::Result<()> {
                        Err(wasmtime_wasi::I32Exit(code).into())
                    },
                )?;
                Ok(linker)
            })
            .clone()
    }

    /// Whether instances live in a pool of slots.
    pub(crate) fn pooled(&self) -> bool {
        self.pooled
    }

    /// Whether plugins are metered with fuel.
    pub(crate) fn fuel(&self) -> bool {
        self.fuel
    }

    /// Compiles `bytes` (wasm or WAT), or returns the cached module for the same bytes.
    /// `None` when the module compiles but no slot of this runtime's pool can hold it (see
    /// [`crate::pool::does_not_fit`]): the on-demand runtime runs it.
    pub(crate) fn compile(&self, bytes: &[u8]) -> Result<Option<Module>> {
        let key = (fingerprint(bytes), self.fuel, self.pooled);
        if let Some(module) = cache_get(&key, bytes) {
            return Ok(Some(module));
        }
        let module = match compile(self.disk_cache.as_ref(), &self.engine, bytes) {
            Ok(module) => module,
            Err(err) if self.pooled && crate::pool::does_not_fit(&err) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        cache_put(key, bytes, module.clone());
        Ok(Some(module))
    }

    /// `module`, compiled for another runtime with the same compiler settings, loaded into
    /// this one.
    pub(crate) fn adopt(&self, module: &Module) -> Result<Module> {
        let serialized = module.serialize()?;
        // SAFETY: the bytes were serialized just now, in this process, by an engine with the
        // same compiler settings (only the instance allocator differs, which is not part of
        // a compiled module); wasmtime checks those settings again.
        Ok(unsafe { Module::deserialize(&self.engine, &serialized) }?)
    }
}

/// Compiles `bytes` through the on-disk cache when there is one.
fn compile(cache: Option<&DiskCache>, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
    // Cranelift runs partly on the calling thread, and needs more stack than small threads have.
    // A panic in the compiler (rayon's pool panics when it cannot start its threads) fails
    // this compilation only.
    crate::stack::with_room(|| {
        catch_unwind(AssertUnwindSafe(|| match cache {
            Some(cache) => cache.module(engine, bytes),
            None => crate::validate::compile_checked(engine, bytes),
        }))
        .unwrap_or_else(|payload| Err(wasmtime::Error::msg(panic_text(payload.as_ref()))))
    })?
}

/// Cache key: a fingerprint of the bytes, whether the engine meters fuel and whether it is
/// pooled. Entries also keep the bytes, and a hit requires them to be equal, so a fingerprint
/// collision can only cost a recompilation, never hand out another module's code.
type CacheKey = (u64, bool, bool);

/// How many compiled modules the in-memory cache keeps.
const CACHE_CAPACITY: usize = 64;
/// How many bytes of module source the cache keeps at most.
const CACHE_BYTES: usize = 256 * 1024 * 1024;
/// Bytes sampled from each end and from the middle of a module for its fingerprint.
const SAMPLE: usize = 4096;
/// Windows sampled across the rest of the module.
const WINDOWS: usize = 64;

/// A keyed hash of the length and a sample of the bytes: cheap for megabyte modules.
fn fingerprint(bytes: &[u8]) -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    let mut hasher = KEYS.get_or_init(RandomState::new).build_hasher();
    hasher.write_usize(bytes.len());
    if bytes.len() <= 4 * SAMPLE {
        hasher.write(bytes);
    } else {
        hasher.write(&bytes[..SAMPLE]);
        hasher.write(&bytes[bytes.len() - SAMPLE..]);
        let step = bytes.len() / WINDOWS;
        for i in 0..WINDOWS {
            let start = i * step;
            hasher.write(&bytes[start..start + 64]);
        }
    }
    hasher.finish()
}

struct CacheEntry {
    bytes: Box<[u8]>,
    module: Module,
}

#[derive(Default)]
struct ModuleCache {
    entries: HashMap<CacheKey, CacheEntry>,
    order: VecDeque<CacheKey>,
    bytes: usize,
}

static CACHE: OnceLock<Mutex<ModuleCache>> = OnceLock::new();

fn cache() -> &'static Mutex<ModuleCache> {
    CACHE.get_or_init(Mutex::default)
}

fn cache_get(key: &CacheKey, bytes: &[u8]) -> Option<Module> {
    let cache = cache().lock().ok()?;
    let entry = cache.entries.get(key)?;
    (*entry.bytes == *bytes).then(|| entry.module.clone())
}

fn cache_put(key: CacheKey, bytes: &[u8], module: Module) {
    let Ok(mut cache) = cache().lock() else {
        return;
    };
    let entry = CacheEntry {
        bytes: bytes.into(),
        module,
    };
    cache.bytes += entry.bytes.len();
    match cache.entries.insert(key, entry) {
        Some(old) => cache.bytes -= old.bytes.len(),
        None => cache.order.push_back(key),
    }
    while cache.order.len() > CACHE_CAPACITY || (cache.bytes > CACHE_BYTES && cache.order.len() > 1)
    {
        let Some(oldest) = cache.order.pop_front() else {
            break;
        };
        if let Some(old) = cache.entries.remove(&oldest) {
            cache.bytes -= old.bytes.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_cover_length_and_samples() {
        let a = vec![7u8; 100_000];
        let mut b = a.clone();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b[0] = 8;
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&a[..99_999]));
    }

    #[test]
    fn a_fingerprint_collision_is_a_miss() {
        let runtime = runtime(false).unwrap();
        let module = runtime.compile(b"(module)").unwrap().unwrap();
        let key = (12345, false, runtime.pooled());
        cache_put(key, b"(module)", module);
        assert!(cache_get(&key, b"(module)").is_some());
        assert!(cache_get(&key, b"(module )").is_none());
    }
}
