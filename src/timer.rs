//! Timeouts and cancellation (docs/abi.md §8.1).
//!
//! Every engine uses epoch interruption. One ticker thread advances the epoch every
//! millisecond while some call has a deadline or a pending cancel request, and for a short
//! grace period after, so back-to-back calls with timeouts do not wake it each time; the rest
//! of the time it is parked and costs nothing. When the epoch passes a store's deadline, that
//! store's callback checks its own plugin's deadline and cancel flag, so plugins never
//! interrupt each other.
//!
//! Deadlines are read from the monotonic clock, in whole milliseconds: a deadline `n`
//! milliseconds ahead never fires before `n` milliseconds have passed, and fires at the first
//! tick after that. A ticker that falls behind (a loaded machine, or a process under valgrind,
//! which runs one thread at a time) delays a timeout by its own lag, not by the ticks it missed.
//!
//! At fork (`process`): the ticker is started again in the child on its first arm, and the
//! counts of armed calls are reset there to what the forking thread itself armed, so calls of
//! threads the child does not have never keep its ticker awake. (A timed call the forking
//! thread was itself in, a host function that forks, gets its timeout in the child once any
//! arm there has started the ticker.) The engine list is lock-free, so a tick in progress at
//! the fork cannot leave it locked. On failure: when the ticker
//! thread cannot be started, a call with a timeout fails before it runs, and a cancel request
//! is seen only by `http_request` waits and by the ticks of other calls' deadlines.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::Duration;

use wasmtime::{Engine, StoreContextMut, UpdateDeadline};

use crate::error::{Error, Result};
use crate::process::PerProcess;
use crate::store::StoreData;

const TICK: Duration = Duration::from_millis(1);
/// Idle ticks before the ticker parks.
const GRACE_TICKS: u32 = 200;

/// Calls running with a deadline, counted per thread: a call arms and disarms on its own
/// thread, so threads making timed calls side by side never write one shared cache line (a
/// single counter would serialise them). Threads share a slot only when there are more of them
/// than slots; a slot's count is never negative.
static TIMED_CALLS: [Slot; SLOTS] = [const { Slot(AtomicUsize::new(0)) }; SLOTS];
const SLOTS: usize = 64;
/// The next thread's slot in [`TIMED_CALLS`].
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    /// This thread's slot in [`TIMED_CALLS`], or `usize::MAX` before its first arm.
    static SLOT_INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    /// The calls this thread has armed and not disarmed: what its slot holds for it.
    static ARMED_HERE: Cell<usize> = const { Cell::new(0) };
}
/// Pending cancel requests. They are armed by the cancelling thread and disarmed by the calling
/// thread, maybe before the arm: the count can pass below zero (wrapping), which still reads as
/// armed.
static CANCELS: AtomicUsize = AtomicUsize::new(0);
/// The engines whose epoch the ticker advances: one per configuration, so at most pooled, on
/// demand and serving, each with and without fuel. Filled without a lock, so that a fork in
/// the middle of a tick leaves nothing locked in the child.
static ENGINES: [OnceLock<Engine>; MAX_ENGINES] = [const { OnceLock::new() }; MAX_ENGINES];
const MAX_ENGINES: usize = 6;
/// How many engines have taken a place in [`ENGINES`].
static ENGINE_COUNT: AtomicUsize = AtomicUsize::new(0);
/// This process's ticker.
static TICKER: PerProcess<Ticker> = PerProcess::new();
/// Whether [`reset_after_fork`] is registered.
static RESET_REGISTERED: AtomicBool = AtomicBool::new(false);

/// The ticker thread and its park flag.
struct Ticker {
    thread: Thread,
    /// The ticker is parked (or about to park) and must be unparked by the next arm ([`wake`]).
    parked: &'static AtomicBool,
}

/// Whole milliseconds on the monotonic clock (`CLOCK_MONOTONIC`, which never goes back). A
/// deadline of `now_ms() + n + 1` is at least `n` milliseconds away.
pub(crate) fn now_ms() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_MONOTONIC exists on every supported
    // system, so the call cannot fail and `now` is always written.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
    let millis = u64::try_from(now.tv_nsec).unwrap_or(0) / 1_000_000;
    seconds.saturating_mul(1000).saturating_add(millis)
}

/// A counter on a cache line of its own (128 bytes: some CPUs fetch lines in pairs).
#[repr(align(128))]
struct Slot(AtomicUsize);

/// This thread's slot in [`TIMED_CALLS`], given out round-robin on first use.
fn own_slot() -> &'static AtomicUsize {
    let index = SLOT_INDEX.with(|index| {
        if index.get() == usize::MAX {
            index.set(NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS);
        }
        index.get()
    });
    &TIMED_CALLS[index].0
}

/// Whether some call has a deadline or a cancel request is pending.
fn armed() -> bool {
    CANCELS.load(Ordering::SeqCst) != 0
        || TIMED_CALLS
            .iter()
            .any(|slot| slot.0.load(Ordering::SeqCst) != 0)
}

/// This process's ticker, started if it is not running.
fn ticker() -> Result<&'static Ticker> {
    TICKER.get_or_start(|| {
        if !RESET_REGISTERED.swap(true, Ordering::AcqRel) {
            crate::process::at_fork_child(reset_after_fork);
        }
        // One flag per ticker, leaked with it: an inherited ticker's flag is never read again.
        let parked: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        std::thread::Builder::new()
            .name("extism-epoch".into())
            .spawn(move || tick(parked))
            .map(|handle| Ticker {
                thread: handle.thread().clone(),
                parked,
            })
            .map_err(|e| Error::msg(format!("unable to start the timeout thread: {e}")))
    })
}

fn tick(parked: &AtomicBool) {
    let mut idle = 0;
    loop {
        if !armed() {
            idle += 1;
            if idle > GRACE_TICKS {
                // Announce the park before checking again, so an arm in between either sees
                // the flag and unparks, or is seen here. Each counter is read once, at some
                // moment: one that read zero had no arm that is still live then, or that arm
                // came after the flag was set and unparks.
                parked.store(true, Ordering::SeqCst);
                if !armed() {
                    std::thread::park();
                }
                parked.store(false, Ordering::SeqCst);
                idle = 0;
                continue;
            }
        } else {
            idle = 0;
        }
        std::thread::sleep(TICK);
        for engine in ENGINES.iter().filter_map(OnceLock::get) {
            engine.increment_epoch();
        }
    }
}

/// In a forked child, on its only thread: only the forking thread's own timed calls are
/// still running, and no cancel request is pending for a call of a thread that is gone. (A
/// cancel of a call the forking thread itself was in at the fork may leave the count off by
/// one, which keeps the child's ticker ticking: a cost in wake-ups, never a missed timeout.)
fn reset_after_fork() {
    for slot in &TIMED_CALLS {
        slot.0.store(0, Ordering::SeqCst);
    }
    let index = SLOT_INDEX.with(Cell::get);
    if let Some(slot) = TIMED_CALLS.get(index) {
        slot.0.store(ARMED_HERE.with(Cell::get), Ordering::SeqCst);
    }
    CANCELS.store(0, Ordering::SeqCst);
}

/// Makes the ticker advance `engine`'s epoch, so calls in its stores can time out and be
/// cancelled. Each engine registers once, when it is created.
pub(crate) fn register(engine: &Engine) -> Result<()> {
    let index = ENGINE_COUNT.fetch_add(1, Ordering::AcqRel);
    match ENGINES.get(index) {
        Some(place) if place.set(engine.clone()).is_ok() => Ok(()),
        _ => Err(Error::msg(format!(
            "more than {MAX_ENGINES} engines: no place for another in the timeout thread"
        ))),
    }
}

/// Keeps the ticker running until the matching [`disarm_call`], which must run on the same
/// thread: for a call with a deadline. Fails, armed nothing, when the ticker cannot start.
pub(crate) fn arm_call() -> Result<()> {
    own_slot().fetch_add(1, Ordering::SeqCst);
    ARMED_HERE.with(|armed| armed.set(armed.get() + 1));
    wake().inspect_err(|_| disarm_call())
}

/// Releases this thread's [`arm_call`].
pub(crate) fn disarm_call() {
    ARMED_HERE.with(|armed| armed.set(armed.get().saturating_sub(1)));
    own_slot().fetch_sub(1, Ordering::SeqCst);
}

/// Keeps the ticker running until the matching [`disarm_cancel`], on any thread: for a cancel
/// request, so that the call sees it at the next tick.
pub(crate) fn arm_cancel() {
    CANCELS.fetch_add(1, Ordering::SeqCst);
    // Without a ticker the request is still seen by `http_request` waits (see the module
    // docs); nothing better can be done for it here.
    let _ = wake();
}

/// Releases one [`arm_cancel`].
pub(crate) fn disarm_cancel() {
    CANCELS.fetch_sub(1, Ordering::SeqCst);
}

/// Starts the ticker, or unparks it, after an arm.
fn wake() -> Result<()> {
    let ticker = ticker()?;
    if ticker.parked.load(Ordering::SeqCst) {
        ticker.thread.unpark();
    }
    Ok(())
}

/// The [`now_ms`] reading at which a call armed now with a `timeout_ms` limit must stop.
pub(crate) fn deadline_after(timeout_ms: u64) -> u64 {
    now_ms().saturating_add(timeout_ms).saturating_add(1)
}

/// The epoch callback of every store: interrupt when this plugin's call is past its deadline
/// or has been cancelled, otherwise check again at the next tick.
pub(crate) fn on_epoch(cx: StoreContextMut<'_, StoreData>) -> wasmtime::Result<UpdateDeadline> {
    let data = cx.data();
    if data.plugin.is_cancelled() {
        return Ok(UpdateDeadline::Interrupt);
    }
    if data.deadline.is_some_and(|deadline| now_ms() >= deadline) {
        return Ok(UpdateDeadline::Interrupt);
    }
    Ok(UpdateDeadline::Continue(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_clock_not_the_ticker() {
        // Nothing is armed, so the ticker (if any) may be parked: the deadline must pass anyway.
        let deadline = deadline_after(200);
        assert!(now_ms() < deadline, "a 200 ms deadline passed at once");
        std::thread::sleep(Duration::from_millis(202));
        assert!(
            now_ms() >= deadline,
            "a 200 ms deadline had not passed after 202 ms"
        );
    }

    #[test]
    fn threads_count_their_timed_calls_apart() {
        // Two threads arming at once write different cache lines, and each slot counts only
        // what its own thread armed.
        let arm_and_report = || {
            std::thread::spawn(|| {
                arm_call().unwrap();
                let slot = own_slot();
                let (address, count) = (
                    slot as *const AtomicUsize as usize,
                    slot.load(Ordering::SeqCst),
                );
                assert!(armed(), "a call armed on this thread is not seen");
                disarm_call();
                (address, count, own_slot().load(Ordering::SeqCst))
            })
        };
        let (a, b) = (arm_and_report(), arm_and_report());
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        assert_ne!(a.0, b.0, "two threads share one slot");
        assert_eq!(a.0 % 128, 0, "a slot is not on a cache line of its own");
        assert_eq!(
            (a.1, a.2),
            (1, 0),
            "first thread: count while armed, after disarm"
        );
        assert_eq!(
            (b.1, b.2),
            (1, 0),
            "second thread: count while armed, after disarm"
        );
    }

    #[test]
    fn a_child_keeps_only_the_forking_threads_timed_calls() {
        // Another thread's timed call is running at the fork; this thread has one too.
        let (armed_tx, armed_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            arm_call().unwrap();
            armed_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            disarm_call();
        });
        armed_rx.recv().unwrap();
        arm_call().unwrap();
        let status = crate::process::tests::in_child(|| {
            // This thread's call still counts...
            let kept = armed();
            disarm_call();
            // ... and once it ends, nothing keeps the ticker awake: the other thread is gone.
            kept && !armed()
        });
        disarm_call();
        release_tx.send(()).unwrap();
        other.join().unwrap();
        assert_eq!(status, 0, "the child's timed-call count is wrong");
    }

    #[test]
    fn a_cancel_disarmed_before_its_arm_still_balances() {
        // The calling thread may see a cancel and disarm it before the cancelling thread arms.
        let before = CANCELS.load(Ordering::SeqCst);
        disarm_cancel();
        assert!(armed(), "a count below zero must read as armed");
        arm_cancel();
        assert_eq!(CANCELS.load(Ordering::SeqCst), before);
    }

    #[test]
    fn a_deadline_is_never_early() {
        // The clock is read in whole milliseconds; the +1 covers the part already elapsed.
        let start = std::time::Instant::now();
        let deadline = deadline_after(5);
        while now_ms() < deadline {
            std::hint::spin_loop();
        }
        assert!(
            start.elapsed() >= Duration::from_millis(5),
            "{:?}",
            start.elapsed()
        );
    }
}
