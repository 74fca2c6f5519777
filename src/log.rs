//! Logging (docs/abi.md §8.6): one process-wide sink, installed once, built on `tracing` and
//! `tracing-subscriber` (the line format, level names and filter directives are theirs), plus
//! optional per-plugin callbacks.
//!
//! Until a sink or callback is installed nothing is logged, `get_log_level` answers
//! `i32::MAX`, and guests skip formatting their messages.
//!
//! At fork: the sink starts no thread, so the child inherits it working. A file sink's
//! descriptor is shared with the parent (both append whole lines), and the lines buffered for
//! `extism_log_drain` are copied, so each process drains its own copy. A line being written
//! by another thread of the parent at the fork holds the sink's lock in the child for good
//! (docs/abi.md D14); the library's own threads write only while a caller waits for them
//! (the compile pool, for the compilation cache). On failure: a sink that cannot
//! be installed fails `install`, and a poisoned line buffer drops lines rather than failing.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::writer::{BoxMakeWriter, MakeWriter};
use tracing_subscriber::EnvFilter;

use crate::error::{Error, Result};

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

impl Level {
    /// The level numbered `n` (0 trace … 4 error).
    pub fn from_number(n: i32) -> Option<Level> {
        [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error,
        ]
        .get(usize::try_from(n).ok()?)
        .copied()
    }
}

/// `get_log_level`'s answer when nothing is logged.
pub(crate) const OFF: i32 = i32::MAX;

/// The most verbose level the installed sink accepts, or `OFF`.
static MAX_LEVEL: AtomicI32 = AtomicI32::new(OFF);

/// Where the process-wide log goes.
#[derive(Debug, Clone)]
pub enum LogSink {
    /// Standard error, with colours.
    Stderr,
    /// Standard output, with colours.
    Stdout,
    /// A file opened for appending, created if missing, without colours.
    File(PathBuf),
    /// An in-memory queue of lines, read with [`drain_lines`].
    Buffer,
}

/// Receives a plugin's log messages with their level.
pub type LogCallback = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// A per-plugin logger: receives the plugin's own messages at or above `min_level`.
#[derive(Clone)]
pub(crate) struct PluginLogger {
    pub(crate) min_level: Level,
    pub(crate) callback: LogCallback,
}

/// Installs the process-wide sink with `filter`: a bare level name (`trace` … `error`, any
/// case) means `extism=LEVEL`; anything else is a directive list such as
/// `extism=trace,cranelift=debug`, parsed leniently. Targets no directive matches log at
/// `error`. Fails if a sink is already installed or the file cannot be opened.
pub fn install(sink: LogSink, filter: Option<&str>) -> Result<()> {
    let filter = parse_filter(filter.unwrap_or("error"));
    let max = filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    let (writer, ansi) = match sink {
        LogSink::Stderr => (BoxMakeWriter::new(io::stderr), true),
        LogSink::Stdout => (BoxMakeWriter::new(io::stdout), true),
        LogSink::File(path) => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| Error::msg(format!("cannot open {}: {e}", path.display())))?;
            (BoxMakeWriter::new(Mutex::new(file)), false)
        }
        LogSink::Buffer => (BoxMakeWriter::new(LineQueue), false),
    };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| Error::msg("a log sink is already installed"))?;
    MAX_LEVEL.store(level_number(max), Ordering::Relaxed);
    Ok(())
}

fn parse_filter(text: &str) -> EnvFilter {
    let bare = ["trace", "debug", "info", "warn", "error"]
        .into_iter()
        .find(|level| level.eq_ignore_ascii_case(text.trim()));
    let directives = match bare {
        Some(level) => format!("extism={level}"),
        None => text.to_owned(),
    };
    EnvFilter::builder()
        .with_default_directive(LevelFilter::ERROR.into())
        .parse_lossy(directives)
}

fn level_number(filter: LevelFilter) -> i32 {
    match filter.into_level() {
        None => OFF,
        Some(tracing::Level::TRACE) => 0,
        Some(tracing::Level::DEBUG) => 1,
        Some(tracing::Level::INFO) => 2,
        Some(tracing::Level::WARN) => 3,
        Some(tracing::Level::ERROR) => 4,
    }
}

/// Lines written to the [`LogSink::Buffer`] sink, oldest first.
static LINES: Mutex<VecDeque<Vec<u8>>> = Mutex::new(VecDeque::new());

/// Makes one [`QueuedLine`] per event.
struct LineQueue;

/// Collects one formatted event and queues it when the formatter drops it.
struct QueuedLine(Vec<u8>);

impl<'a> MakeWriter<'a> for LineQueue {
    type Writer = QueuedLine;

    fn make_writer(&'a self) -> QueuedLine {
        QueuedLine(Vec::new())
    }
}

impl Write for QueuedLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for QueuedLine {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            if let Ok(mut lines) = LINES.lock() {
                lines.push_back(std::mem::take(&mut self.0));
            }
        }
    }
}

/// Removes each buffered line in order and hands it to `handler` (newline included).
pub fn drain_lines(mut handler: impl FnMut(&[u8])) {
    loop {
        let line = match LINES.lock() {
            Ok(mut lines) => lines.pop_front(),
            Err(_) => None,
        };
        match line {
            Some(line) => handler(&line),
            None => return,
        }
    }
}

/// What a plugin logs through: its id, as `plugin=` in every line, and the host's per-plugin
/// callback, if it set one. Shared by the plugin's stores; the host may replace the callback
/// at any time.
pub(crate) struct PluginLog {
    id: String,
    logger: RwLock<Option<PluginLogger>>,
}

impl PluginLog {
    /// The log of the plugin with id `id` (a hyphenated UUID), with no callback yet.
    pub(crate) fn new(id: String) -> Self {
        PluginLog {
            id,
            logger: RwLock::new(None),
        }
    }

    /// The plugin's id, as it appears in log lines.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Sets or removes the per-plugin callback.
    pub(crate) fn set_logger(&self, logger: Option<PluginLogger>) -> Result<()> {
        *self
            .logger
            .write()
            .map_err(|_| Error::msg("logger lock poisoned"))? = logger;
        Ok(())
    }

    fn logger(&self) -> Option<PluginLogger> {
        self.logger.read().ok().and_then(|l| l.clone())
    }

    /// The level the plugin's `get_log_level` reports: the lower of the process-wide level and
    /// the callback's minimum.
    pub(crate) fn guest_level(&self) -> i32 {
        let global = MAX_LEVEL.load(Ordering::Relaxed);
        match self.logger() {
            Some(logger) => global.min(logger.min_level as i32),
            None => global,
        }
    }

    /// Whether a message at `level` reaches the process-wide sink or the callback.
    pub(crate) fn enabled(&self, level: Level) -> bool {
        (level as i32) >= self.guest_level()
    }

    /// Logs a message of the plugin's (its `log_*` calls, or a host function on its behalf).
    pub(crate) fn message(&self, level: Level, message: &[u8]) {
        let text = match std::str::from_utf8(message) {
            Ok(text) => text,
            Err(err) => {
                tracing::error!(target: "extism::pdk", plugin = ?self.id, "unable to log message: {err}");
                return;
            }
        };
        if (level as i32) >= MAX_LEVEL.load(Ordering::Relaxed) {
            let id = &self.id;
            match level {
                Level::Trace => tracing::trace!(target: "extism::pdk", plugin = ?id, "{text}"),
                Level::Debug => tracing::debug!(target: "extism::pdk", plugin = ?id, "{text}"),
                Level::Info => tracing::info!(target: "extism::pdk", plugin = ?id, "{text}"),
                Level::Warn => tracing::warn!(target: "extism::pdk", plugin = ?id, "{text}"),
                Level::Error => tracing::error!(target: "extism::pdk", plugin = ?id, "{text}"),
            }
        }
        if let Some(logger) = self.logger() {
            if level >= logger.min_level {
                crate::stack::on_caller_stack(|| (logger.callback)(level, text));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_levels_become_extism_directives() {
        assert_eq!(
            parse_filter("INFO").max_level_hint(),
            Some(LevelFilter::INFO)
        );
        assert_eq!(
            parse_filter("error").max_level_hint(),
            Some(LevelFilter::ERROR)
        );
        assert_eq!(
            parse_filter("extism=trace,cranelift=debug").max_level_hint(),
            Some(LevelFilter::TRACE)
        );
        assert_eq!(level_number(LevelFilter::OFF), OFF);
        assert_eq!(level_number(LevelFilter::WARN), 3);
        assert_eq!(Level::from_number(2), Some(Level::Info));
        assert_eq!(Level::from_number(5), None);
        assert_eq!(Level::from_number(-1), None);
    }
}
