//! Process-wide logging state as guests see it (ABI.md §8.6).
//!
//! Until a sink is installed nothing is logged, `get_log_level` answers `i32::MAX`, and
//! guests skip formatting their messages.

use std::sync::atomic::{AtomicI32, Ordering};

use crate::store::PluginShared;

/// Log levels, numbered as `get_log_level` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Most verbose.
    Trace = 0,
    /// Debugging detail.
    Debug = 1,
    /// Normal events.
    Info = 2,
    /// Something unexpected.
    Warn = 3,
    /// A failure.
    Error = 4,
}

/// `get_log_level`'s answer when nothing is logged.
pub(crate) const OFF: i32 = i32::MAX;

/// The most verbose level any installed sink accepts, or `OFF`.
static MAX_LEVEL: AtomicI32 = AtomicI32::new(OFF);

/// What `get_log_level` returns to a guest.
pub(crate) fn guest_level(_plugin: &PluginShared) -> i32 {
    MAX_LEVEL.load(Ordering::Relaxed)
}

/// Whether a plugin message at `level` would be emitted anywhere.
pub(crate) fn enabled(level: Level, plugin: &PluginShared) -> bool {
    (level as i32) >= guest_level(plugin)
}

/// Emits a guest's log message. With no sink installed there is nowhere to emit it.
pub(crate) fn plugin_message(level: Level, plugin: &PluginShared, message: &[u8]) {
    if !enabled(level, plugin) {
        return;
    }
    let _ = message;
}
