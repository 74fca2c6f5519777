//! Timeouts and cancellation (ABI.md §8.1).
//!
//! Every engine uses epoch interruption. One ticker thread advances the epoch every
//! millisecond while some call has a deadline or a pending cancel request, and for a short
//! grace period after, so back-to-back calls with timeouts do not wake it each time; the rest
//! of the time it is parked and costs nothing. When the epoch passes a store's deadline, that
//! store's callback checks its own plugin's deadline and cancel flag, so plugins never
//! interrupt each other.
//!
//! Deadlines are counted in ticks: the ticker sleeps at least a millisecond between ticks, so
//! a deadline `n` ticks ahead never fires before `n` milliseconds have passed (it may fire a
//! little later), and arming a timeout costs no clock read.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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
/// Ticks so far; each is at least [`TICK`] after the previous one.
static TICKS: AtomicU64 = AtomicU64::new(0);

/// The tick count. A deadline of `ticks() + n + 1` is at least `n` milliseconds away.
pub(crate) fn ticks() -> u64 {
    TICKS.load(Ordering::Acquire)
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
        TICKS.fetch_add(1, Ordering::AcqRel);
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

/// The tick at which a call armed now with a `timeout_ms` limit must stop.
pub(crate) fn deadline_after(timeout_ms: u64) -> u64 {
    ticks().saturating_add(timeout_ms).saturating_add(1)
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
    if data.deadline.is_some_and(|deadline| ticks() >= deadline) {
        return Ok(UpdateDeadline::Interrupt);
    }
    Ok(UpdateDeadline::Continue(1))
}
