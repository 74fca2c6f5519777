//! Timeouts and cancellation (ABI.md §8.1).
//!
//! Every engine uses epoch interruption. One ticker thread advances the epoch every
//! millisecond, but only while some call has a deadline or a pending cancel request; the rest
//! of the time it sleeps and costs nothing. When the epoch passes a store's deadline, that
//! store's callback checks its own plugin's deadline and cancel flag, so plugins never
//! interrupt each other.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::{Duration, Instant};

use wasmtime::{StoreContextMut, UpdateDeadline};

use crate::store::StoreData;

const TICK: Duration = Duration::from_millis(1);

/// Calls with a deadline plus pending cancel requests.
static ARMED: AtomicUsize = AtomicUsize::new(0);
static TICKER: OnceLock<Option<Thread>> = OnceLock::new();

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
    loop {
        if ARMED.load(Ordering::Acquire) == 0 {
            std::thread::park();
            continue;
        }
        std::thread::sleep(TICK);
        for runtime in crate::engine::runtimes() {
            runtime.engine.increment_epoch();
        }
    }
}

/// Keeps the ticker running until the matching [`disarm`].
pub(crate) fn arm() {
    if ARMED.fetch_add(1, Ordering::AcqRel) == 0 {
        if let Some(thread) = ticker() {
            thread.unpark();
        }
    }
}

/// Releases one [`arm`].
pub(crate) fn disarm() {
    ARMED.fetch_sub(1, Ordering::AcqRel);
}

/// The epoch callback of every store: interrupt when this plugin's call is past its deadline
/// or has been cancelled, otherwise check again at the next tick.
pub(crate) fn on_epoch(cx: StoreContextMut<'_, StoreData>) -> wasmtime::Result<UpdateDeadline> {
    let data = cx.data();
    if data.plugin.is_cancelled() {
        return Ok(UpdateDeadline::Interrupt);
    }
    if data
        .deadline
        .is_some_and(|deadline| Instant::now() >= deadline)
    {
        return Ok(UpdateDeadline::Interrupt);
    }
    Ok(UpdateDeadline::Continue(1))
}
