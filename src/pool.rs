//! The instance pool: how many instance slots an engine reserves, and how a module that no
//! slot can hold is recognised.
//!
//! A pooled engine reserves its slots once, when it is created: per slot, one linear memory's
//! address space (4 GiB and a guard region), one table and one instance. Creating an instance
//! then takes a free slot and freeing it resets the slot (memory up to the kept-resident size
//! is zeroed in place, the rest is released with `madvise`), with no mapping or unmapping.
//! Slots are sized
//! so that no plugin gets less memory or table room from a slot than it would get from an
//! instance allocated on demand: every memory up to the 4 GiB ceiling, every table up to the
//! table ceiling (`store::MEMORY_CEILING`, `store::TABLE_CEILING`).
//!
//! How many slots: `EXTISM_POOL_SLOTS` when set (0 turns pooling off), otherwise
//! [`SLOTS_PER_CPU`] per CPU online and at least [`BASE_SLOTS`], as far as an eighth of the
//! process's address space holds them (a quarter of `RLIMIT_AS` when that is set), at most one
//! per MiB of physical memory and at most [`MAX_SLOTS`]. Fewer than [`MIN_SLOTS`] are not worth
//! a pool: instances are then allocated on demand.
//!
//! Why per CPU: a pool pays off where instances are made and freed all the time, as when a
//! server makes a fresh plugin per request on every core, and there the slots in use at once
//! are a few per running request. Long-lived plugins gain only a faster creation. And every
//! slot that was ever used keeps its memory resident up to the kept-resident size while it
//! waits to be reused, with a page of its table: 72 KiB for a small plugin's instance. A pool
//! sized for the address space (about 2,000 slots) would keep some 140 MiB after a burst of
//! live plugins was freed, one sized by CPUs keeps 18 MiB on 2 CPUs. The floor of
//! [`BASE_SLOTS`] holds a hundred live plugins of two instances each without overflowing: the
//! first overflow brings up the on-demand engine, about 1.6 MiB that then stay.
//!
//! A full pool never fails a plugin: `link` then makes its store with an engine that allocates
//! on demand (see [`is_full`]), and a module whose shape no slot can hold (several memories,
//! say) is compiled for that engine from the start (see [`does_not_fit`]).

use wasmtime::PoolingAllocationConfig;

use crate::error::Error;

/// Fewer slots than this are not worth reserving a pool for.
pub(crate) const MIN_SLOTS: u32 = 16;
/// The most slots an engine reserves unless `EXTISM_POOL_SLOTS` asks for more.
pub(crate) const MAX_SLOTS: u32 = 10_000;
/// Slots per CPU online: room for 64 plugins (two instances each) in flight per CPU.
pub(crate) const SLOTS_PER_CPU: u32 = 128;
/// The fewest slots an engine reserves unless the machine or `EXTISM_POOL_SLOTS` says less.
pub(crate) const BASE_SLOTS: u32 = 256;
/// Bytes of each memory and each table that a freed slot keeps resident and zeroes in place,
/// unless `EXTISM_POOL_KEEP_RESIDENT` says otherwise: a small plugin's memory (one wasm page)
/// is reset with one `memset` and no system call. Half as much makes a fresh plugin per request
/// with `count_vowels` take two page faults and 60 % more CPU time (`benches/bench.c`, `cycle`).
const DEFAULT_KEEP_RESIDENT: usize = 64 << 10;
/// How many freed slots may wait for reuse before freed slots are taken again rather than
/// never-used ones: the slots ever used stay close to the most instances live at once plus
/// this many, and so does what they keep resident.
const WARM_SLOTS: u32 = 32;
/// The address space of a 64-bit Linux process (47 bits of user addresses).
const ADDRESS_SPACE: u64 = 1 << 47;
/// Physical memory per slot: a machine can keep this much of each live instance resident.
const MEMORY_PER_SLOT: u64 = 1 << 20;

/// What one slot must hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotLimits {
    /// The largest a memory may grow to.
    pub(crate) memory_bytes: usize,
    /// The most elements a table may hold.
    pub(crate) table_elements: usize,
}

impl SlotLimits {
    /// Address space one slot reserves: its memory, the guard regions around it (wasmtime's
    /// default of 32 MiB, rounded up), its table and some slack.
    fn address_space(&self) -> u64 {
        self.memory_bytes as u64 + (64 << 20) + self.table_elements as u64 * 8
    }
}

/// The pool an engine should reserve, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolSize {
    pub(crate) slots: u32,
    pub(crate) keep_resident: usize,
}

impl PoolSize {
    /// From the environment and the machine; `None` when instances are to be allocated on
    /// demand (the environment asks for it, or the machine has no room for a useful pool).
    pub(crate) fn from_env(limits: &SlotLimits) -> Option<PoolSize> {
        let environment = crate::environment::get();
        let keep_resident = env_number(
            "EXTISM_POOL_KEEP_RESIDENT",
            environment.pool_keep_resident.as_deref(),
        )
        .map_or(DEFAULT_KEEP_RESIDENT, |n| n as usize);
        let slots = match env_number("EXTISM_POOL_SLOTS", environment.pool_slots.as_deref()) {
            Some(0) => {
                tracing::debug!(target: "extism::engine", "EXTISM_POOL_SLOTS=0: instances are allocated on demand");
                return None;
            }
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => {
                let wanted = u32::try_from(online_cpus())
                    .unwrap_or(u32::MAX)
                    .saturating_mul(SLOTS_PER_CPU)
                    .max(BASE_SLOTS);
                let slots = machine_slots(address_limit(), physical_memory(), limits).min(wanted);
                if slots < MIN_SLOTS {
                    tracing::debug!(target: "extism::engine", "room for {slots} instance slots only: instances are allocated on demand");
                    return None;
                }
                slots
            }
        };
        Some(PoolSize {
            slots,
            keep_resident,
        })
    }

    /// The pooling configuration: `slots` instances, memories and tables, each as large as
    /// `limits` allows.
    pub(crate) fn config(&self, limits: &SlotLimits) -> PoolingAllocationConfig {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(self.slots)
            .total_memories(self.slots)
            .total_tables(self.slots)
            .total_gc_heaps(self.slots)
            // Stacks are for async calls, which this library never makes; each would cost a
            // guard-page `mprotect` when the pool is reserved (a millisecond per thousand).
            .total_stacks(0)
            .max_memory_size(limits.memory_bytes)
            .table_elements(limits.table_elements)
            // Only a bound checked at instantiation (instance metadata is allocated per
            // instance, not reserved): large enough for any module an on-demand engine runs.
            .max_core_instance_size(64 << 20)
            .linear_memory_keep_resident(self.keep_resident)
            .table_keep_resident(self.keep_resident)
            .max_unused_warm_slots(WARM_SLOTS.min(self.slots))
            // A freed slot zeroes its whole kept-resident size, touched or not. The PAGEMAP_SCAN
            // ioctl could tell which pages were touched, but wasmtime 48.0.8 asks it only for
            // pages that are present: a page the previous instance wrote that was swapped out
            // would keep its contents for the next instance (fixed in 48.0.11). Without it a
            // reset also makes no system call at all, and a fresh plugin per request costs 15 %
            // less CPU time here (`cycle`); the price is that a freed slot keeps its whole
            // kept-resident size resident, not only the pages that were touched.
            .pagemap_scan(wasmtime::Enabled::No);
        pool
    }
}

/// The most slots a process whose address space is limited to `address_limit` bytes (`None`:
/// unlimited) has room for on a machine with `memory` bytes of physical memory (`None`:
/// unknown).
fn machine_slots(address_limit: Option<u64>, memory: Option<u64>, limits: &SlotLimits) -> u32 {
    // Unlimited: an eighth of the address space, which leaves room for the other engine (with
    // or without fuel metering), instances allocated on demand and everything else. Limited:
    // a quarter of the limit, for the same reasons.
    let address_budget = address_limit.map_or(ADDRESS_SPACE / 8, |limit| limit / 4);
    let by_address = address_budget / limits.address_space();
    let by_memory = memory.map_or(u64::MAX, |bytes| bytes / MEMORY_PER_SLOT);
    by_address.min(by_memory).min(u64::from(MAX_SLOTS)) as u32
}

/// The CPUs online. Not `std::thread::available_parallelism`, which also reads the cgroup's
/// CPU quota from several files (a tenth of a millisecond here, at the first creation): a pool
/// sized for every CPU of a machine whose quota allows fewer costs only address space.
fn online_cpus() -> usize {
    // SAFETY: sysconf only reads system configuration.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(cpus).unwrap_or(1).max(1)
}

/// The process's address-space limit (`RLIMIT_AS`), if any.
fn address_limit() -> Option<u64> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::As);
    limit.current
}

/// The machine's physical memory in bytes, if known.
fn physical_memory() -> Option<u64> {
    // SAFETY: sysconf only reads system configuration.
    let (pages, page_size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let pages = u64::try_from(pages).ok()?;
    let page_size = u64::try_from(page_size).ok()?;
    pages.checked_mul(page_size)
}

/// A non-negative integer from `value`, the value of the environment variable `name`; an
/// unparsable value is ignored, with a warning.
fn env_number(name: &str, value: Option<&std::ffi::OsStr>) -> Option<u64> {
    let value = value?;
    let number = value.to_str().and_then(|text| text.trim().parse().ok());
    if number.is_none() {
        tracing::warn!(target: "extism::engine", "ignoring {name}={value:?}: not a number");
    }
    number
}

/// Address space one plugin reserves when its instances are allocated on demand: its two
/// linear memories (Extism memory and its own), each up to 4 GiB with guard regions.
const PLUGIN_ADDRESS_SPACE_GIB: u64 = 8;

/// `err`, saying what to do about it when it is a failed allocation in a process whose
/// address space is limited (`ulimit -v`): every plugin reserves about
/// [`PLUGIN_ADDRESS_SPACE_GIB`] GiB of address space, so such a limit, not a lack of memory,
/// is what stops it.
pub(crate) fn explain_address_limit(err: Error) -> Error {
    match address_limit_note(err.message()) {
        Some(message) => Error::msg(message),
        None => err,
    }
}

/// [`explain_address_limit`] for an error of the engine's (instantiating main at a first call).
pub(crate) fn explain_engine_address_limit(err: wasmtime::Error) -> wasmtime::Error {
    match address_limit_note(&err.root_cause().to_string()) {
        Some(message) => wasmtime::Error::msg(message),
        None => err,
    }
}

/// `message` with the explanation of [`explain_address_limit`], when it applies.
fn address_limit_note(message: &str) -> Option<String> {
    let limit = address_limit()?;
    message.contains("Cannot allocate memory").then(|| {
        format!(
            "{message} (the process's address-space limit, `ulimit -v` {} MiB, is too small: \
             each plugin reserves about {PLUGIN_ADDRESS_SPACE_GIB} GiB of address space, 4 GiB \
             and guard regions for each of its two linear memories; raise or remove the limit)",
            limit >> 20
        )
    })
}

/// Whether instantiation failed because every slot of the pool is taken.
pub(crate) fn is_full(err: &wasmtime::Error) -> bool {
    err.is::<wasmtime::PoolConcurrencyLimitError>()
}

/// Whether a module could not be loaded into a pooled engine because no slot can hold its
/// shape (more memories or tables than a slot has, say); an engine that allocates on demand
/// can still run it.
pub(crate) fn does_not_fit(err: &wasmtime::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .to_string()
            .ends_with("does not fit in pooling allocator requirements")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SlotLimits = SlotLimits {
        memory_bytes: 4 << 30,
        table_elements: 10_000_000,
    };

    #[test]
    fn an_unlimited_process_gets_an_eighth_of_the_address_space() {
        let slots = machine_slots(None, None, &LIMITS);
        let per_slot = LIMITS.address_space();
        assert_eq!(u64::from(slots), (1u64 << 44) / per_slot);
        assert!((1000..=MAX_SLOTS).contains(&slots), "{slots}");
    }

    #[test]
    fn an_address_space_limit_leaves_too_little_room_for_a_pool() {
        // `ulimit -v` of 16 GiB: a quarter of it holds no slot of 4 GiB.
        assert_eq!(machine_slots(Some(16 << 30), None, &LIMITS), 0);
        // 1 TiB: a quarter, 256 GiB, holds 61 slots of 4 GiB and some (about 4.14 GiB).
        assert_eq!(machine_slots(Some(1 << 40), None, &LIMITS), 61);
    }

    #[test]
    fn small_machines_get_fewer_slots() {
        assert_eq!(machine_slots(None, Some(64 << 20), &LIMITS), 64);
        assert_eq!(
            machine_slots(
                None,
                Some(1 << 50),
                &SlotLimits {
                    memory_bytes: 1 << 20,
                    table_elements: 0
                }
            ),
            MAX_SLOTS
        );
    }

    /// An engine with a pool of `slots` slots of 1 MiB memories and 16-element tables.
    fn small_pool(slots: u32) -> wasmtime::Engine {
        let size = PoolSize {
            slots,
            keep_resident: 0,
        };
        let limits = SlotLimits {
            memory_bytes: 1 << 20,
            table_elements: 16,
        };
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(size.config(&limits));
        wasmtime::Engine::new(&config).unwrap()
    }

    #[test]
    fn a_module_with_two_memories_does_not_fit_a_slot_and_loads_on_demand() {
        let pooled = small_pool(4);
        let two_memories = "(module (memory 1) (memory 1))";
        let err = wasmtime::Module::new(&pooled, two_memories).unwrap_err();
        assert!(does_not_fit(&err), "{err:#}");
        assert!(!is_full(&err));
        wasmtime::Module::new(&wasmtime::Engine::default(), two_memories).unwrap();

        let bad = wasmtime::Module::new(&pooled, "(module (func (drop)))").unwrap_err();
        assert!(!does_not_fit(&bad), "{bad:#}");
    }

    #[test]
    fn a_full_pool_is_recognised() {
        let engine = small_pool(1);
        let module = wasmtime::Module::new(&engine, "(module (memory 1))").unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        let _first = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let err = wasmtime::Instance::new(&mut store, &module, &[]).unwrap_err();
        assert!(is_full(&err), "{err:#}");
        assert!(!does_not_fit(&err));
    }
}
