//! The environment variables the library reads, read once, in one place.
//!
//! The C library's `getenv` and Rust's `std::env::var` are not safe against a `setenv` or
//! `putenv` running at the same time on another thread: the environment array may be
//! reallocated under the reader. A host cannot know when a library reads its environment, so
//! every variable is read here, at one moment: the first time [`get`] is called, which is when
//! the first engine is set up (the first plugin or compiled plugin made, or the first module
//! compiled). From then on the library never reads the environment again, and later changes
//! to these variables have no effect in this process. A host that changes them should do so
//! before it makes its first plugin, and not while another thread makes one.
//!
//! Process-wide resources: one snapshot in a `OnceLock`, never freed. After `fork()` the child
//! has its own copy of the snapshot, taken in the parent (its environment was copied from the
//! parent's at the same time, so both agree unless the parent changed a variable after the
//! snapshot, which had no effect there either). Reading cannot fail: a variable that is unset
//! is `None`, and values are kept as the bytes they were (`OsString`), so a value that is not
//! UTF-8 reaches the code that interprets it, which decides what it means.

use std::ffi::OsString;
use std::sync::OnceLock;

/// The variables that change how the library behaves, as they were at the first [`get`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Environment {
    /// `EXTISM_CACHE_CONFIG`: the on-disk cache's configuration file, empty for no cache.
    pub(crate) cache_config: Option<OsString>,
    /// `XDG_CACHE_HOME`: where the default on-disk cache lives.
    pub(crate) xdg_cache_home: Option<OsString>,
    /// `HOME`: where the default on-disk cache lives when `XDG_CACHE_HOME` does not say.
    pub(crate) home: Option<OsString>,
    /// `EXTISM_POOL_SLOTS`: how many instance slots the pool reserves.
    pub(crate) pool_slots: Option<OsString>,
    /// `EXTISM_POOL_KEEP_RESIDENT`: bytes of each memory and table a freed slot keeps.
    pub(crate) pool_keep_resident: Option<OsString>,
    /// `EXTISM_DEBUG`, present with any value: compile with debug information.
    pub(crate) debug: bool,
    /// `EXTISM_PROFILE`: the JIT profiler.
    pub(crate) profile: Option<OsString>,
    /// `EXTISM_ENABLE_WASI_OUTPUT`, present with any value: WASI guests' stdout and stderr
    /// are the process's.
    pub(crate) wasi_output: bool,
    /// `RAYON_NUM_THREADS`: how many threads compile, as for any program that uses rayon.
    rayon_num_threads: Option<OsString>,
}

impl Environment {
    /// Reads every variable now.
    fn read() -> Environment {
        let var = std::env::var_os;
        Environment {
            cache_config: var("EXTISM_CACHE_CONFIG"),
            xdg_cache_home: var("XDG_CACHE_HOME"),
            home: var("HOME"),
            pool_slots: var("EXTISM_POOL_SLOTS"),
            pool_keep_resident: var("EXTISM_POOL_KEEP_RESIDENT"),
            debug: var("EXTISM_DEBUG").is_some(),
            profile: var("EXTISM_PROFILE"),
            wasi_output: var("EXTISM_ENABLE_WASI_OUTPUT").is_some(),
            rayon_num_threads: var("RAYON_NUM_THREADS"),
        }
    }

    /// The number of compiler threads: `RAYON_NUM_THREADS` when it is a positive number, else
    /// one per CPU the process may use, as rayon would choose (the library passes the number
    /// to rayon, so that rayon does not read the environment itself when a pool starts).
    pub(crate) fn compile_threads(&self) -> usize {
        let wanted = self
            .rayon_num_threads
            .as_deref()
            .and_then(|value| value.to_str()?.trim().parse::<usize>().ok());
        match wanted {
            Some(threads) if threads > 0 => threads,
            _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();

/// The variables as they were at the first call, in this process.
pub(crate) fn get() -> &'static Environment {
    ENVIRONMENT.get_or_init(Environment::read)
}
