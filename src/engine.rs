//! Engines, the kernel module, and the in-memory module cache.
//!
//! There is one process-wide engine per configuration (with and without fuel metering),
//! created on first use, whose instances live in a pool of slots reserved once (`pool`); each
//! has a sibling with the same compiler settings that allocates instances on demand, created
//! when first needed: for plugins whose modules no slot can hold, and for stores made while
//! the pool is full. When no pool can be reserved (an address-space limit, say), the on-demand
//! engine is the only one. These run plugins made directly from their wasm (`build`), which
//! usually live for many calls: compiled code relies on guard pages to bound memory accesses.
//!
//! Plugins made from a compiled plugin (the per-request path) run in the serving engines
//! instead ([`serving`], again with and without fuel): compiled code checks each memory access
//! against the memory's current size, and memories come from `linear_memory`, which keeps
//! them for reuse, so that a fresh plugin per request changes nothing in the memory map
//! however its memory grows (docs/abi.md D15).
//!
//! The kernel module is compiled once per engine, and user modules are kept in memory by a
//! fingerprint and a copy of their bytes, so creating a plugin again from the same bytes costs
//! a comparison and a link. Compiled code is also kept on disk (`disk_cache`).
//!
//! Compilation runs in a thread pool of this library's ([`compile_pool`]) rather than rayon's
//! global one, which wasmtime would use otherwise: a pool can be started again in a forked
//! child, where the parent's pool threads do not exist, and rayon's global pool cannot.
//!
//! At fork: engines, kernels and cached modules are plain memory and stay valid in the child;
//! the compile pool is started again there on its first compilation. The module cache's lock
//! is held only by a thread that is looking a module up or storing one, never while
//! compiling; a child forked while another thread of the parent held it would wait on it
//! for good (see docs/abi.md D14). On failure: a compile pool that cannot be started fails
//! that compilation with an error.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};

use wasmtime::{Config, Engine, InstancePre, Linker, Module};

use crate::disk_cache::DiskCache;
use crate::error::{panic_text, Error, Result};
use crate::kernel::KERNEL_WAT;
use crate::pool::{PoolSize, SlotLimits};
use crate::process::PerProcess;
use crate::store::{StoreData, MEMORY_CEILING, TABLE_CEILING};

/// An engine with its kernel, ready to instantiate kernels cheaply.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) kernel: InstancePre<StoreData>,
    pub(crate) kernel_module: Module,
    fuel: bool,
    /// How instances get their memories, and how compiled code bounds accesses.
    kind: Kind,
    /// WASI preview1, defined once and cloned into each compiled plugin's linker.
    wasi_linker: OnceLock<Result<Linker<StoreData>>>,
    /// Compiled modules on disk, as `EXTISM_CACHE_CONFIG` asks.
    disk_cache: Option<DiskCache>,
}

/// How an engine's instances get their memories, and how compiled code bounds accesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// Slots of a pool reserved once; guard pages.
    Pooled,
    /// Allocated and unmapped with each instance; guard pages.
    OnDemand,
    /// Memories kept for reuse (`linear_memory`); accesses checked against the current size.
    Serving,
}

/// What a pool slot holds: as much as an instance allocated on demand may grow to.
const SLOT_LIMITS: SlotLimits = SlotLimits {
    memory_bytes: MEMORY_CEILING,
    table_elements: TABLE_CEILING,
};

/// The address space reserved for each linear memory, in every engine (pooled or not, with or
/// without fuel). Memories never move (`memory_may_move(false)`), and compiled code takes the
/// reservation as the bound of a memory whose initial size fits in it: it checks accesses
/// against the reservation rather than the memory's current size, and relies on everything
/// past the current size being inaccessible up to there. Such a memory must never grow past
/// its reservation. wasmtime 48.0.8 checks growth against the allocation's capacity rather
/// than the reservation (fixed by 48.0.10); the two are equal here because the reservation is a
/// whole number of pages of any host (an allocation made on demand is exactly the
/// reservation) and a pool slot's memory is no larger. The ceiling that `store::MemoryBudget`
/// applies without a `max_pages` budget is no larger either. (A memory64 memory whose initial
/// size is above 4 GiB, which a large `max_pages` budget allows, is allocated on demand with
/// room to grow, and compiled code checks it against its current size.)
const MEMORY_RESERVATION: u64 = 4 << 30;
const _: () = assert!(MEMORY_RESERVATION.is_multiple_of(64 << 10));
const _: () = assert!(MEMORY_CEILING as u64 <= MEMORY_RESERVATION);
const _: () = assert!(SLOT_LIMITS.memory_bytes as u64 <= MEMORY_RESERVATION);
const _: () = assert!(crate::linear_memory::RESERVATION as u64 == MEMORY_RESERVATION);

/// The engine plugins are made with, without and with fuel metering: pooled when a pool could
/// be reserved, else the on-demand one. Only engines that started are kept (for the life of the
/// process, registered with the timer): a start-up error (a transient ENOMEM or EMFILE, say)
/// fails the creation that met it, the half-made engine is dropped with its reservation, and
/// the next creation tries again.
static PRIMARY: [OnceLock<&'static Runtime>; 2] = [OnceLock::new(), OnceLock::new()];
static ON_DEMAND: [OnceLock<&'static Runtime>; 2] = [OnceLock::new(), OnceLock::new()];
static SERVING: [OnceLock<&'static Runtime>; 2] = [OnceLock::new(), OnceLock::new()];
/// Held while an engine starts, so that two threads never both reserve a pool.
static STARTING: Mutex<()> = Mutex::new(());

/// The runtime for plugins with (`fuel`) or without fuel metering.
pub(crate) fn runtime(fuel: bool) -> Result<&'static Runtime> {
    start_once(&PRIMARY[usize::from(fuel)], || {
        let pooled = PoolSize::from_env(&SLOT_LIMITS).and_then(|size| {
            Runtime::new(fuel, Allocation::Pool(size))
                .inspect_err(|err| {
                    tracing::debug!(
                        target: "extism::engine",
                        "no pool of {} instance slots: {err}; instances are allocated on demand",
                        size.slots
                    )
                })
                .ok()
        });
        match pooled {
            Some(runtime) => keep(runtime),
            None => start_on_demand(fuel),
        }
    })
}

/// The runtime with the same settings as [`runtime`] that allocates every instance on demand.
pub(crate) fn on_demand(fuel: bool) -> Result<&'static Runtime> {
    start_once(&ON_DEMAND[usize::from(fuel)], || start_on_demand(fuel))
}

/// The runtime for plugins made from a compiled plugin, with (`fuel`) or without fuel
/// metering: memories kept for reuse, accesses checked against the current size.
pub(crate) fn serving(fuel: bool) -> Result<&'static Runtime> {
    start_once(&SERVING[usize::from(fuel)], || {
        keep(Runtime::new(fuel, Allocation::Serving)?)
    })
}

/// The runtime in `cell`, started by `start` while [`STARTING`] is held if no thread has
/// started it yet. An error from `start` leaves `cell` empty, for the next call to try again.
fn start_once(
    cell: &OnceLock<&'static Runtime>,
    start: impl FnOnce() -> Result<&'static Runtime>,
) -> Result<&'static Runtime> {
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let _starting = STARTING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let runtime = start()?;
    Ok(cell.get_or_init(|| runtime))
}

/// [`on_demand`], for a caller that holds [`STARTING`].
fn start_on_demand(fuel: bool) -> Result<&'static Runtime> {
    let cell = &ON_DEMAND[usize::from(fuel)];
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let runtime = keep(Runtime::new(fuel, Allocation::OnDemand)?)?;
    Ok(cell.get_or_init(|| runtime))
}

/// Keeps a runtime that started for the life of the process, and lets the timer advance its
/// engine's epoch. Only kept runtimes are registered, so the timer's fixed list of engines
/// holds every one of them.
fn keep(runtime: Runtime) -> Result<&'static Runtime> {
    crate::timer::register(&runtime.engine)?;
    Ok(Box::leak(Box::new(runtime)))
}

/// The JIT profiler named by `EXTISM_PROFILE`: `perf` writes a perf map
/// (`/tmp/perf-<pid>.map`) so that `perf report` names the plugins' functions. The reference
/// also reads `jitdump` and `vtune` there; those need wasmtime's `profiling` feature, which this
/// build leaves out, so they are ignored like any other value rather than failing every plugin.
fn profiling_strategy() -> Option<wasmtime::ProfilingStrategy> {
    match crate::environment::get().profile.as_ref()?.to_str()? {
        "perf" => Some(wasmtime::ProfilingStrategy::PerfMap),
        _ => None,
    }
}

/// A configuration with wasmtime's defaults. `Config::new` reads `WASMTIME_BACKTRACE_DETAILS`,
/// so every engine's configuration is a copy of one made at the first engine's set-up, when
/// the library also reads its own variables (`environment`): no engine made later reads the
/// environment again. The copy lives in a `OnceLock` for the process's life: a child after
/// `fork()` has its own copy of it, and making it cannot fail.
fn default_config() -> Config {
    static DEFAULT: OnceLock<Config> = OnceLock::new();
    DEFAULT.get_or_init(Config::new).clone()
}

/// How a new runtime allocates its instances.
enum Allocation {
    Pool(PoolSize),
    OnDemand,
    Serving,
}

impl Runtime {
    fn new(fuel: bool, allocation: Allocation) -> Result<Self> {
        let mut config = default_config();
        let kind = match allocation {
            Allocation::Pool(size) => {
                config.allocation_strategy(size.config(&SLOT_LIMITS));
                Kind::Pooled
            }
            Allocation::OnDemand => Kind::OnDemand,
            Allocation::Serving => Kind::Serving,
        };
        config.epoch_interruption(true);
        config.consume_fuel(fuel);
        // Fuel is charged per wasm block, when the block runs. Cranelift's optimiser moves
        // loop-invariant work out of loops, also out of blocks that never run, where it runs
        // at every loop entry uncharged: a guest could do hundreds of times more work than its
        // fuel limit allows (c-tests/fuel_hoisted.c). wasmtime 48.0.11 turns only that motion
        // off for fuel; 48.0.8 has no setting for it, so metered plugins are compiled without
        // the optimiser (about a third slower on compute-heavy code).
        if fuel {
            config.cranelift_opt_level(wasmtime::OptLevel::None);
        }
        // Memories stay where they were first mapped for their whole life: the saved output
        // of a call is an address into Extism memory (`Plugin::output`), and no memory may
        // grow past its 4 GiB reservation, memory64 ones included (see MEMORY_RESERVATION).
        config.memory_may_move(false);
        if kind == Kind::Serving {
            // No reservation and no guard region as far as compiled code knows: every access
            // is checked against the memory's current size (with the Spectre mitigation, which
            // turns an out-of-bounds address into a null one that traps). The memories
            // themselves are reserved at 4 GiB each by `linear_memory`, so they still never
            // move. GC heaps likewise.
            config.memory_reservation(0);
            config.memory_guard_size(0);
            config.guard_before_linear_memory(false);
            config.gc_heap_reservation(0);
            config.gc_heap_guard_size(0);
            config.gc_heap_may_move(false);
            config.with_host_memory(Arc::new(crate::linear_memory::Memories));
        } else {
            config.memory_reservation(MEMORY_RESERVATION);
        }
        config.max_wasm_stack(crate::stack::WASM_STACK);
        if crate::environment::get().debug {
            config.debug_info(true);
        }
        if let Some(profiler) = profiling_strategy() {
            config.profiler(profiler);
        }
        // Memories are initialised by copying their data segments, not by mapping an image.
        // Copy-on-write initialisation writes each module's initial memory image to an
        // in-memory file that stays open for as long as the module lives: a process with many
        // live modules would run out of descriptors (256 plugins of distinct modules under
        // `ulimit -n 256`), and its host with it. A file-size limit (`ulimit -f`) smaller than
        // an image would also end the process with SIGXFSZ. Copying costs instantiation time
        // only for large data segments (a pool slot keeps its first pages resident, so small
        // ones are a `memcpy`).
        config.memory_init_cow(false);
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
            kind,
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
        self.kind == Kind::Pooled
    }

    /// Whether plugins are metered with fuel.
    pub(crate) fn fuel(&self) -> bool {
        self.fuel
    }

    /// Compiles `bytes` (wasm or WAT), or returns the cached module for the same bytes.
    /// `None` when the module compiles but no slot of this runtime's pool can hold it (see
    /// [`crate::pool::does_not_fit`]): the on-demand runtime runs it.
    pub(crate) fn compile(&self, bytes: &[u8]) -> Result<Option<Module>> {
        let key = (fingerprint(bytes), self.fuel, self.kind);
        if let Some(module) = cache_get(&key, bytes) {
            return Ok(Some(module));
        }
        let module = match compile(self.disk_cache.as_ref(), &self.engine, bytes) {
            Ok(module) => module,
            Err(err) if self.pooled() && crate::pool::does_not_fit(&err) => return Ok(None),
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

/// Compiles `bytes` through the on-disk cache when there is one, in this process's compile
/// pool.
fn compile(cache: Option<&DiskCache>, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
    // The whole compilation runs inside the pool, so that wasmtime's parallel iterators use
    // it; its first part runs on one of the pool's threads, with the room `with_room` makes.
    // A panic in the compiler fails this compilation only.
    let pool = compile_pool()?;
    hand_off();
    let module = pool.install(|| {
        hand_off();
        let module = crate::stack::with_room(|| {
            catch_unwind(AssertUnwindSafe(|| match cache {
                Some(cache) => cache.module(engine, bytes),
                None => crate::validate::compile_checked(engine, bytes),
            }))
            .unwrap_or_else(|payload| Err(wasmtime::Error::msg(panic_text(payload.as_ref()))))
        });
        hand_off();
        module
    });
    hand_off();
    module?
}

/// Takes and releases a pthread mutex, on the calling thread before and after a compilation
/// and on the pool's thread at its start and end. rayon hands the job to its thread and the
/// compiled module back through lock-free queues and latches, which race detectors such as
/// helgrind cannot see; a pthread mutex they do see, so the module built on the pool's thread
/// is not reported as racing with every later use of it. Uncontended: four lock-unlock pairs
/// per compilation. At fork: held only for those instants, by a thread inside the library.
fn hand_off() {
    struct HandOff(std::cell::UnsafeCell<libc::pthread_mutex_t>);
    // SAFETY: the mutex is only used through the pthread functions, which synchronise it.
    unsafe impl Sync for HandOff {}
    static HAND_OFF: HandOff = HandOff(std::cell::UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER));
    // SAFETY: a statically initialised default mutex, locked and unlocked by the same thread
    // with nothing in between; neither call can fail for it.
    unsafe {
        libc::pthread_mutex_lock(HAND_OFF.0.get());
        libc::pthread_mutex_unlock(HAND_OFF.0.get());
    }
}

/// This process's compile pool.
static COMPILE_POOL: PerProcess<rayon::ThreadPool> = PerProcess::new();

/// The pool compilations run in, started on first use in each process. As many threads as
/// rayon's global pool would have (`RAYON_NUM_THREADS` as the library read it at its first
/// engine set-up, else one per CPU); idle, they sleep without waking up.
fn compile_pool() -> Result<&'static rayon::ThreadPool> {
    COMPILE_POOL.get_or_start(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(crate::environment::get().compile_threads())
            .thread_name(|index| format!("extism-compile-{index}"))
            .build()
            .map_err(|e| Error::msg(format!("unable to start the compiler's threads: {e}")))
    })
}

/// Cache key: a fingerprint of the bytes, whether the engine meters fuel and its kind.
/// Entries also keep the bytes, and a hit requires them to be equal, so a fingerprint
/// collision can only cost a recompilation, never hand out another module's code.
type CacheKey = (u64, bool, Kind);

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
        let key = (12345, false, runtime.kind);
        cache_put(key, b"(module)", module);
        assert!(cache_get(&key, b"(module)").is_some());
        assert!(cache_get(&key, b"(module )").is_none());
    }
}
