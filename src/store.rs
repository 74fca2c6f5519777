//! What each plugin's wasmtime store carries, and the settings shared by every plugin made
//! from one compiled plugin.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

use wasmtime::{Instance, ResourceLimiter};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::error::OutOfMemory;
use crate::kernel::{HasKernel, Kernel};
use crate::log::PluginLog;
use crate::manifest::Manifest;

/// Settings fixed when a plugin is compiled.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) max_pages: Option<u32>,
    pub(crate) max_var_bytes: u64,
    pub(crate) max_http_response_bytes: u64,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) allowed_paths: BTreeMap<String, PathBuf>,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) with_wasi: bool,
    pub(crate) fuel: Option<u64>,
}

impl Settings {
    pub(crate) fn new(manifest: &Manifest, with_wasi: bool, fuel: Option<u64>) -> Self {
        Settings {
            config: manifest.config.clone(),
            max_pages: manifest.memory.max_pages,
            max_var_bytes: manifest.max_var_bytes(),
            max_http_response_bytes: manifest.max_http_response_bytes(),
            allowed_hosts: manifest.allowed_hosts.clone().unwrap_or_default(),
            allowed_paths: manifest.allowed_paths.clone().unwrap_or_default(),
            timeout_ms: manifest.timeout_ms,
            with_wasi,
            fuel,
        }
    }
}

/// Whether a call is running, and whether it has been asked to stop: one atomic, shared by
/// the calling thread, cancelling threads and the epoch callback.
///
/// The methods are never inlined, so every access to this atomic has a frame of its own; the
/// helgrind run (tests/valgrind.sh), which cannot tell atomic accesses from plain ones,
/// suppresses reports by that frame and nothing else.
#[derive(Debug)]
pub(crate) struct RunState(AtomicU8);

impl RunState {
    const IDLE: u8 = 0;
    const RUNNING: u8 = 1;
    const CANCELLED: u8 = 2;

    fn new() -> Self {
        RunState(AtomicU8::new(Self::IDLE))
    }

    /// A call starts running (any earlier cancel request is forgotten).
    #[inline(never)]
    pub(crate) fn start(&self) {
        self.0.store(Self::RUNNING, Ordering::Release);
    }

    /// The call has ended; returns whether it was asked to stop.
    #[inline(never)]
    pub(crate) fn finish(&self) -> bool {
        self.0.swap(Self::IDLE, Ordering::AcqRel) == Self::CANCELLED
    }

    /// Asks the running call to stop; returns false when no call is running.
    #[inline(never)]
    pub(crate) fn cancel(&self) -> bool {
        self.0
            .compare_exchange(
                Self::RUNNING,
                Self::CANCELLED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Whether the running call has been asked to stop.
    #[inline(never)]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed) == Self::CANCELLED
    }
}

/// Per-plugin state that outlives store rebuilds and is reachable without the call lock.
pub(crate) struct PluginShared {
    pub(crate) id: [u8; 16],
    pub(crate) config: RwLock<BTreeMap<String, String>>,
    pub(crate) run_state: RunState,
    pub(crate) http_headers_enabled: AtomicBool,
    pub(crate) log: PluginLog,
}

impl std::fmt::Debug for PluginShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginShared")
            .field("id", &self.id_string())
            .finish()
    }
}

impl PluginShared {
    pub(crate) fn new(config: BTreeMap<String, String>) -> Self {
        let id = uuid::Uuid::new_v4();
        PluginShared {
            id: *id.as_bytes(),
            config: RwLock::new(config),
            run_state: RunState::new(),
            http_headers_enabled: AtomicBool::new(false),
            log: PluginLog::new(id.to_string()),
        }
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.run_state.is_cancelled()
    }

    /// The plugin id as a hyphenated UUID.
    pub(crate) fn id_string(&self) -> &str {
        self.log.id()
    }
}

/// The most bytes a memory may hold when its growth is not charged to a `max_pages` budget:
/// what a wasm32 memory can reach, and so also the ceiling of memory64 memories.
pub(crate) const MEMORY_CEILING: usize = 4 << 30;
/// The most elements a table may hold, with or without `max_pages`: the limit web browsers'
/// engines apply. A funcref element takes 8 bytes, so a table stays under 80 MiB.
pub(crate) const TABLE_CEILING: usize = 10_000_000;
/// What one table element draws from the `max_pages` budget.
const TABLE_ELEMENT_BYTES: u64 = 8;

/// The `max_pages` budget, as a wasmtime resource limiter, and the ceilings that hold without
/// it.
///
/// Growth refused by a budget or a ceiling returns -1 to the guest (`memory.grow`,
/// `table.grow`) or fails the instantiation, except memory growth over the `max_pages` budget,
/// which fails the call with `oom` (docs/abi.md §7.3).
#[derive(Debug, Default)]
pub(crate) struct MemoryBudget {
    limit: Option<u64>,
    remaining: u64,
    counting: bool,
    /// Main is being instantiated: memories draw on the budget, each table must fit it alone.
    instantiating: bool,
}

impl MemoryBudget {
    pub(crate) fn new(max_pages: Option<u32>) -> Self {
        let limit = max_pages.map(|p| u64::from(p) * 65536);
        MemoryBudget {
            limit,
            remaining: limit.unwrap_or(0),
            counting: false,
            instantiating: false,
        }
    }

    /// Starts charging growth to the budget, which is full again.
    pub(crate) fn start_counting(&mut self) {
        self.counting = true;
        self.instantiating = true;
        self.remaining = self.limit.unwrap_or(0);
    }

    /// Fills the budget again without changing whether growth is charged.
    pub(crate) fn refill(&mut self) {
        self.instantiating = false;
        self.remaining = self.limit.unwrap_or(0);
    }

    /// The budget growth is charged to now, if any.
    fn charged(&self) -> Option<u64> {
        self.limit.filter(|_| self.counting)
    }
}

impl ResourceLimiter for MemoryBudget {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if self.charged().is_none() {
            return Ok(desired <= MEMORY_CEILING);
        }
        let delta = desired.saturating_sub(current) as u64;
        if delta > self.remaining {
            return Err(OutOfMemory.into());
        }
        self.remaining -= delta;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > TABLE_CEILING {
            return Ok(false);
        }
        let Some(limit) = self.charged() else {
            return Ok(true);
        };
        if self.instantiating {
            // Checked, not deducted: the budget is refilled once main is instantiated, and a
            // module whose initial memory fills the budget exactly still instantiates.
            return Ok(desired as u64 * TABLE_ELEMENT_BYTES <= limit);
        }
        let cost = desired.saturating_sub(current) as u64 * TABLE_ELEMENT_BYTES;
        if cost > self.remaining {
            return Ok(false);
        }
        self.remaining -= cost;
        Ok(true)
    }
}

/// The data of one plugin's wasmtime store.
pub(crate) struct StoreData {
    pub(crate) kernel: Kernel,
    pub(crate) plugin: Arc<PluginShared>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) kernel_instance: Option<Instance>,
    /// Instances of the compiled plugin's modules, by module index; commands are never kept.
    pub(crate) instances: Vec<Option<Instance>>,
    pub(crate) vars: BTreeMap<String, Vec<u8>>,
    pub(crate) wasi: Option<WasiP1Ctx>,
    pub(crate) budget: MemoryBudget,
    /// The running call's host context pointer, as an address (0 when none).
    pub(crate) host_context: usize,
    /// Set by a host function that wants the call to fail.
    pub(crate) host_error: Option<String>,
    pub(crate) http_status: i32,
    pub(crate) http_headers: Option<BTreeMap<String, String>>,
    /// The monotonic clock reading, in milliseconds, at which the running call times out.
    pub(crate) deadline: Option<u64>,
}

impl StoreData {
    pub(crate) fn new(
        plugin: Arc<PluginShared>,
        settings: Arc<Settings>,
        wasi: Option<WasiP1Ctx>,
    ) -> Self {
        StoreData {
            kernel: Kernel::default(),
            budget: MemoryBudget::new(settings.max_pages),
            plugin,
            settings,
            kernel_instance: None,
            instances: Vec::new(),
            vars: BTreeMap::new(),
            wasi,
            host_context: 0,
            host_error: None,
            http_status: 0,
            http_headers: None,
            deadline: None,
        }
    }

    /// The WASI context; built empty on first use if the store had none.
    pub(crate) fn wasi(&mut self) -> &mut WasiP1Ctx {
        self.wasi
            .get_or_insert_with(|| wasmtime_wasi::WasiCtxBuilder::new().build_p1())
    }
}

impl HasKernel for StoreData {
    fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    fn kernel_mut(&mut self) -> &mut Kernel {
        &mut self.kernel
    }
}
