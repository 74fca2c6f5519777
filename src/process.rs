//! The process the library lives in, and `fork()`.
//!
//! Pre-fork servers load plugins in a parent process and use them in children. After `fork()`
//! the child has one thread, a copy of the one that forked; every other thread of the parent
//! (the epoch ticker, HTTP request threads, the compiler's pool, the WASI runtime's workers)
//! is gone, while everything that refers to them (thread handles, channels, pools, counters
//! and locks those threads held) is copied as it was. Waiting for a thread that does not exist
//! hangs, and a lock one of them held stays held for good.
//!
//! So each process-wide resource that owns threads lives in a [`PerProcess`] cell: it is
//! started on first use, and started again on first use in a child. The copy inherited from
//! the parent is left as it is, never dropped or joined (its threads are not there to answer),
//! and it costs only its memory. Forks are counted by a `pthread_atfork` child handler
//! ([`generation`]), which only bumps a counter and runs the resetters of
//! [`at_fork_child`], all of them async-signal-safe.
//!
//! At fork: this module's own state is atomics only, so the child can read it whatever the
//! parent's other threads were doing. On failure: when the handler cannot be registered
//! (`pthread_atfork` fails only without memory), forks are noticed instead by comparing the
//! process id at each look-up, which costs a system call each time.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Forks seen: 0 in the process that loaded the library, one more in each child.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Whether [`watch`] has run (whatever its outcome).
static WATCHING: AtomicBool = AtomicBool::new(false);
/// Whether the `pthread_atfork` handler could not be registered: forks are then noticed by
/// the process id changing.
static BY_PID: AtomicBool = AtomicBool::new(false);
/// The process id at the last look-up, when [`BY_PID`].
static PID: AtomicU32 = AtomicU32::new(0);

/// How many resetters [`at_fork_child`] keeps.
const MAX_RESETTERS: usize = 4;
static RESETTERS: [OnceLock<fn()>; MAX_RESETTERS] = [const { OnceLock::new() }; MAX_RESETTERS];
static RESETTER_COUNT: AtomicUsize = AtomicUsize::new(0);

/// How many forks separate this process from the one that loaded the library. A resource
/// started in another generation belongs to an ancestor process: its threads are not here.
pub(crate) fn generation() -> u64 {
    watch();
    if BY_PID.load(Ordering::Relaxed) {
        note_pid_change();
    }
    GENERATION.load(Ordering::Acquire)
}

/// Registers the fork handler, once per process (a child inherits the registration).
fn watch() {
    if WATCHING.load(Ordering::Acquire) || WATCHING.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: `after_fork_child` takes no arguments, never unwinds, and does only
    // async-signal-safe work (atomic operations and the resetters' own, which must be too).
    // glibc unregisters the handler when this library is unloaded.
    let rc = unsafe { libc::pthread_atfork(None, None, Some(after_fork_child)) };
    if rc != 0 {
        PID.store(std::process::id(), Ordering::Release);
        BY_PID.store(true, Ordering::Release);
    }
}

/// Without a fork handler: a process id that differs from the last one seen means a fork.
fn note_pid_change() {
    let pid = std::process::id();
    let seen = PID.swap(pid, Ordering::AcqRel);
    if seen != pid {
        GENERATION.fetch_add(1, Ordering::AcqRel);
        run_resetters();
    }
}

/// The `pthread_atfork` child handler: runs in the child, on its only thread, before `fork`
/// returns there.
extern "C" fn after_fork_child() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
    run_resetters();
}

fn run_resetters() {
    for resetter in &RESETTERS {
        if let Some(reset) = resetter.get() {
            reset();
        }
    }
}

/// Runs `reset` in every child this process forks from now on, right after the fork, on the
/// child's only thread. `reset` must be async-signal-safe: atomics and plain thread-locals,
/// no allocation, no locks. Returns false when [`MAX_RESETTERS`] are registered already.
pub(crate) fn at_fork_child(reset: fn()) -> bool {
    watch();
    let index = RESETTER_COUNT.fetch_add(1, Ordering::AcqRel);
    RESETTERS
        .get(index)
        .is_some_and(|slot| slot.set(reset).is_ok())
}

/// A value that belongs to one process: started on first use, and started again on first use
/// after a fork, in the child. The parent's value stays in the child as it was, never
/// dropped: it may own threads the child does not have.
pub(crate) struct PerProcess<T> {
    current: AtomicPtr<Started<T>>,
    /// `generation + 1` while a thread of that generation is starting the value; a claim
    /// made in an ancestor process is void in a child.
    starting: AtomicU64,
}

/// A claim on [`PerProcess::starting`], given up when dropped.
struct Claim<'a>(&'a AtomicU64);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}

struct Started<T> {
    generation: u64,
    value: T,
    /// The value this one replaced: an ancestor process's, kept (and reachable, for leak
    /// checkers) as it was.
    #[expect(
        dead_code,
        reason = "never read: it keeps the inherited value reachable, never used or dropped"
    )]
    inherited: *mut Started<T>,
}

impl<T: Send + Sync> PerProcess<T> {
    pub(crate) const fn new() -> Self {
        PerProcess {
            current: AtomicPtr::new(std::ptr::null_mut()),
            starting: AtomicU64::new(0),
        }
    }

    /// This process's value, if it has been started.
    pub(crate) fn get(&self) -> Option<&T> {
        let generation = generation();
        // SAFETY: `current` holds null or a pointer from `Box::into_raw` that is never freed.
        let started = unsafe { self.current.load(Ordering::Acquire).as_ref() }?;
        (started.generation == generation).then_some(&started.value)
    }

    /// This process's value, started by `start` if it has not been. One thread starts it
    /// while others of the same process wait; when `start` fails, nothing is kept, its error
    /// is returned, and the next use tries again.
    pub(crate) fn get_or_start<E>(&self, start: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
        loop {
            if let Some(value) = self.get() {
                return Ok(value);
            }
            let generation = generation();
            let claim = self.starting.load(Ordering::Acquire);
            if claim == generation.wrapping_add(1) {
                // Another thread of this process is starting it.
                std::thread::yield_now();
                continue;
            }
            if self
                .starting
                .compare_exchange(
                    claim,
                    generation.wrapping_add(1),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_err()
            {
                continue;
            }
            // Released however this ends, a panic in `start` included.
            let _claim = Claim(&self.starting);
            // Started by the claim's previous holder after our look-up?
            if let Some(value) = self.get() {
                return Ok(value);
            }
            let started = Box::into_raw(Box::new(Started {
                generation,
                value: start()?,
                inherited: self.current.load(Ordering::Acquire),
            }));
            self.current.store(started, Ordering::Release);
            // SAFETY: just made by `Box::into_raw`, and never freed.
            return Ok(unsafe { &(*started).value });
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Runs `child` in a forked child and returns its exit status (the child exits with 0
    /// when `child` returns true, 1 otherwise, without running any of the test harness).
    pub(crate) fn in_child(child: impl FnOnce() -> bool) -> i32 {
        // SAFETY: the child runs only `child` and then `_exit`s; it never returns into the
        // test harness, whose other threads it does not have.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(false);
            // SAFETY: ends the child at once, as a forked child of a threaded process should.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a valid out-parameter.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(waited, pid);
        assert!(libc::WIFEXITED(status), "the child did not exit: {status}");
        libc::WEXITSTATUS(status)
    }

    #[test]
    fn a_child_starts_its_own_value_and_the_parent_keeps_its_one() {
        static VALUE: PerProcess<(u32, u64)> = PerProcess::new();
        static STARTS: AtomicUsize = AtomicUsize::new(0);
        let start = || {
            STARTS.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>((std::process::id(), generation()))
        };
        let parent = *VALUE.get_or_start(start).unwrap();
        assert_eq!(*VALUE.get_or_start(start).unwrap(), parent);
        assert_eq!(
            STARTS.load(Ordering::SeqCst),
            1,
            "started twice in one process"
        );
        let status = in_child(|| {
            let inherited_generation = parent.1;
            let here = generation();
            let before = VALUE.get().copied();
            let child = *VALUE.get_or_start(start).unwrap_or(&(0, 0));
            here == inherited_generation + 1
                && before.is_none()
                && child == (std::process::id(), here)
                && STARTS.load(Ordering::SeqCst) == 2
        });
        assert_eq!(status, 0, "the child did not get a value of its own");
        assert_eq!(VALUE.get().copied(), Some(parent));
        assert_eq!(generation(), parent.1, "the parent's generation changed");
    }

    #[test]
    fn a_failed_start_keeps_nothing() {
        static VALUE: PerProcess<u8> = PerProcess::new();
        assert_eq!(VALUE.get_or_start(|| Err::<u8, _>("no")), Err("no"));
        assert!(VALUE.get().is_none());
        assert_eq!(VALUE.get_or_start(|| Ok::<_, ()>(7)), Ok(&7));
    }

    #[test]
    fn resetters_run_in_the_child_only() {
        static RESETS: AtomicUsize = AtomicUsize::new(0);
        fn reset() {
            RESETS.fetch_add(1, Ordering::SeqCst);
        }
        assert!(at_fork_child(reset));
        let status = in_child(|| RESETS.load(Ordering::SeqCst) >= 1);
        assert_eq!(status, 0, "the resetter did not run in the child");
        assert_eq!(
            RESETS.load(Ordering::SeqCst),
            0,
            "the resetter ran in the parent"
        );
    }
}
