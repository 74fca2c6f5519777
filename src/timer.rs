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

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock};
use std::thread::Thread;
use std::time::Duration;

use wasmtime::{Engine, StoreContextMut, UpdateDeadline};

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
/// Pending cancel requests. They are armed by the cancelling thread and disarmed by the calling
/// thread, maybe before the arm: the count can pass below zero (wrapping), which still reads as
/// armed.
static CANCELS: AtomicUsize = AtomicUsize::new(0);
/// The engines whose epoch the ticker advances.
static ENGINES: RwLock<Vec<Engine>> = RwLock::new(Vec::new());
static TICKER: OnceLock<Option<Thread>> = OnceLock::new();
/// The ticker is parked (or about to park) and must be unparked by the next arm ([`wake`]).
static PARKED: AtomicBool = AtomicBool::new(false);

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
    thread_local!(static INDEX: Cell<usize> = const { Cell::new(usize::MAX) });
    let index = INDEX.with(|index| {
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

fn ticker() -> Option<&'static Thread> {
    TICKER
        .get_or_init(|| {
            std::thread::Builder::new()
                .name("extism-epoch".into())
                .spawn(tick)
                .ok()
                .map(|handle| handle.thread().clone())
        })
        .as_ref()
}

fn tick() {
    let mut idle = 0;
    loop {
        if !armed() {
            idle += 1;
            if idle > GRACE_TICKS {
                // Announce the park before checking again, so an arm in between either sees
                // PARKED and unparks, or is seen here. Each counter is read once, at some
                // moment: one that read zero had no arm that is still live then, or that arm
                // came after the PARKED store and unparks.
                PARKED.store(true, Ordering::SeqCst);
                if !armed() {
                    std::thread::park();
                }
                PARKED.store(false, Ordering::SeqCst);
                idle = 0;
                continue;
            }
        } else {
            idle = 0;
        }
        std::thread::sleep(TICK);
        if let Ok(engines) = ENGINES.read() {
            for engine in engines.iter() {
                engine.increment_epoch();
            }
        }
    }
}

/// Makes the ticker advance `engine`'s epoch, so calls in its stores can time out and be
/// cancelled. Each engine registers once, when it is created.
pub(crate) fn register(engine: &Engine) {
    if let Ok(mut engines) = ENGINES.write() {
        engines.push(engine.clone());
    }
}

/// Keeps the ticker running until the matching [`disarm_call`], which must run on the same
/// thread: for a call with a deadline.
pub(crate) fn arm_call() {
    own_slot().fetch_add(1, Ordering::SeqCst);
    wake();
}

/// Releases this thread's [`arm_call`].
pub(crate) fn disarm_call() {
    own_slot().fetch_sub(1, Ordering::SeqCst);
}

/// Keeps the ticker running until the matching [`disarm_cancel`], on any thread: for a cancel
/// request, so that the call sees it at the next tick.
pub(crate) fn arm_cancel() {
    CANCELS.fetch_add(1, Ordering::SeqCst);
    wake();
}

/// Releases one [`arm_cancel`].
pub(crate) fn disarm_cancel() {
    CANCELS.fetch_sub(1, Ordering::SeqCst);
}

/// Starts the ticker, or unparks it, after an arm.
fn wake() {
    match TICKER.get() {
        Some(Some(thread)) => {
            if PARKED.load(Ordering::SeqCst) {
                thread.unpark();
            }
        }
        Some(None) => {}
        None => {
            ticker();
        }
    }
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
                arm_call();
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
