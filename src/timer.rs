//! Timeouts and cancellation (ABI.md §8.1).
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

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::Duration;

use wasmtime::{StoreContextMut, UpdateDeadline};

use crate::store::StoreData;

const TICK: Duration = Duration::from_millis(1);
/// Idle ticks before the ticker parks.
const GRACE_TICKS: u32 = 200;

/// Calls with a deadline plus pending cancel requests.
static ARMED: AtomicUsize = AtomicUsize::new(0);
static TICKER: OnceLock<Option<Thread>> = OnceLock::new();
/// The ticker is parked (or about to park) and must be unparked by [`arm`].
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
        if ARMED.load(Ordering::SeqCst) == 0 {
            idle += 1;
            if idle > GRACE_TICKS {
                // Announce the park before checking again, so an `arm` in between either sees
                // PARKED and unparks, or is seen here.
                PARKED.store(true, Ordering::SeqCst);
                if ARMED.load(Ordering::SeqCst) == 0 {
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
        for runtime in crate::engine::runtimes() {
            runtime.engine.increment_epoch();
        }
    }
}

/// Keeps the ticker running until the matching [`disarm`].
pub(crate) fn arm() {
    ARMED.fetch_add(1, Ordering::SeqCst);
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

/// Releases one [`arm`].
pub(crate) fn disarm() {
    ARMED.fetch_sub(1, Ordering::SeqCst);
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
