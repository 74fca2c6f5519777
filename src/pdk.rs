//! The host side of `extism:host/env`: the functions the kernel module imports from "host"
//! and re-exports to guests (docs/abi.md §5.2, §5.3).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Caller, Linker, Trap};

use crate::http::HttpRequest;
use crate::kernel;
use crate::log::Level;
use crate::store::StoreData;
use crate::timer;

type Cx<'a> = Caller<'a, StoreData>;

/// Defines every function the kernel module imports.
pub(crate) fn define(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    const M: &str = "host";
    linker.func_wrap(M, "alloc", |mut cx: Cx, n: i64| {
        kernel::alloc(&mut cx, n as u64).map(|h| h as i64)
    })?;
    linker.func_wrap(M, "free", |mut cx: Cx, h: i64| {
        kernel::free(&mut cx, h as u64)
    })?;
    linker.func_wrap(M, "length", |cx: Cx, h: i64| {
        cx.data().kernel.length(h as u64) as i64
    })?;
    linker.func_wrap(M, "input_set", |mut cx: Cx, h: i64, n: i64| {
        kernel::input_set(&mut cx, h as u64, n as u64)
    })?;
    linker.func_wrap(M, "output_set", |mut cx: Cx, h: i64, n: i64| {
        kernel::output_set(&mut cx.data_mut().kernel, h as u64, n as u64)
    })?;
    linker.func_wrap(M, "output_offset", |cx: Cx| {
        cx.data().kernel.output.offset as i64
    })?;
    linker.func_wrap(M, "output_length", |cx: Cx| {
        cx.data().kernel.output.length as i64
    })?;
    linker.func_wrap(M, "error_set", |mut cx: Cx, h: i64| {
        kernel::error_set(&mut cx.data_mut().kernel, h as u64)
    })?;
    linker.func_wrap(M, "error_get", |cx: Cx| cx.data().kernel.error as i64)?;
    linker.func_wrap(M, "reset", |mut cx: Cx| kernel::reset(&mut cx))?;
    linker.func_wrap(M, "memory_bytes", |cx: Cx| kernel::memory_bytes(&cx) as i64)?;
    linker.func_wrap(M, "config_get", config_get)?;
    linker.func_wrap(M, "var_get", var_get)?;
    linker.func_wrap(M, "var_set", var_set)?;
    linker.func_wrap(M, "http_request", http_request)?;
    linker.func_wrap(M, "http_status_code", |cx: Cx| cx.data().http_status)?;
    linker.func_wrap(M, "http_headers", http_headers)?;
    linker.func_wrap(M, "log_trace", |cx: Cx, h: i64| {
        log_message(cx, Level::Trace, h)
    })?;
    linker.func_wrap(M, "log_debug", |cx: Cx, h: i64| {
        log_message(cx, Level::Debug, h)
    })?;
    linker.func_wrap(M, "log_info", |cx: Cx, h: i64| {
        log_message(cx, Level::Info, h)
    })?;
    linker.func_wrap(M, "log_warn", |cx: Cx, h: i64| {
        log_message(cx, Level::Warn, h)
    })?;
    linker.func_wrap(M, "log_error", |cx: Cx, h: i64| {
        log_message(cx, Level::Error, h)
    })?;
    linker.func_wrap(M, "get_log_level", |cx: Cx| {
        cx.data().plugin.log.guest_level()
    })?;
    Ok(())
}

/// Reads block `handle` as UTF-8 text and releases it. `what` names the handle in errors.
fn take_text(cx: &mut Cx, handle: i64, what: &str) -> wasmtime::Result<String> {
    let text = {
        let Some(bytes) = kernel::block(cx, handle as u64) else {
            return Err(invalid_handle(what, handle));
        };
        std::str::from_utf8(bytes)
            .map_err(|e| wasmtime::Error::msg(format!("{what} is not valid UTF-8: {e}")))?
            .to_owned()
    };
    kernel::free(&mut *cx, handle as u64);
    Ok(text)
}

/// Reads block `handle` as bytes and releases it.
fn take_bytes(cx: &mut Cx, handle: i64, what: &str) -> wasmtime::Result<Vec<u8>> {
    let Some(bytes) = kernel::block(cx, handle as u64).map(<[u8]>::to_vec) else {
        return Err(invalid_handle(what, handle));
    };
    kernel::free(&mut *cx, handle as u64);
    Ok(bytes)
}

fn invalid_handle(what: &str, handle: i64) -> wasmtime::Error {
    // Handles are unsigned offsets (`ExtismMemoryHandle` is `uint64_t`).
    wasmtime::Error::msg(format!(
        "invalid handle offset for {what}: {}",
        handle as u64
    ))
}

fn config_get(mut cx: Cx, key: i64) -> wasmtime::Result<i64> {
    let key = take_text(&mut cx, key, "config key")?;
    let value = cx
        .data()
        .plugin
        .config
        .read()
        .map_err(|_| wasmtime::Error::msg("config lock poisoned"))?
        .get(&key)
        .cloned();
    match value {
        Some(value) => kernel::alloc_bytes(&mut cx, value.as_bytes()).map(|h| h as i64),
        None => Ok(0),
    }
}

fn var_get(mut cx: Cx, key: i64) -> wasmtime::Result<i64> {
    let key = take_text(&mut cx, key, "var key")?;
    match cx.data().vars.get(&key).cloned() {
        Some(value) => kernel::alloc_bytes(&mut cx, &value).map(|h| h as i64),
        None => Ok(0),
    }
}

fn var_set(mut cx: Cx, key: i64, value: i64) -> wasmtime::Result<()> {
    let limit = cx.data().settings.max_var_bytes;
    if limit == 0 {
        return Err(wasmtime::Error::msg("Vars are disabled by this host"));
    }
    let key = take_text(&mut cx, key, "var key")?;
    if value == 0 {
        cx.data_mut().vars.remove(&key);
        return Ok(());
    }
    let value = take_bytes(&mut cx, value, "var value")?;
    crate::vars::insert(&mut cx.data_mut().vars, limit, key, value)
        .map_err(|e| wasmtime::Error::msg(e.message().to_owned()))
}

fn log_message(mut cx: Cx, level: Level, handle: i64) -> wasmtime::Result<()> {
    if !cx.data().plugin.log.enabled(level) {
        kernel::free(&mut cx, handle as u64);
        return Ok(());
    }
    let bytes = take_bytes(&mut cx, handle, "log message")?;
    cx.data().plugin.log.message(level, &bytes);
    Ok(())
}

/// `http_request(req, body) -> response body handle` (docs/abi.md §8.5). A cancel or the
/// call's deadline ends the wait for the server and fails the call like a timeout in wasm
/// (docs/abi.md §8.1).
fn http_request(mut cx: Cx, req: i64, body: i64) -> wasmtime::Result<i64> {
    let headers_enabled = cx
        .data()
        .plugin
        .http_headers_enabled
        .load(Ordering::Relaxed);
    {
        let data = cx.data_mut();
        data.http_status = 0;
        data.http_headers = headers_enabled.then(BTreeMap::new);
    }
    let request = HttpRequest::parse(&take_text(&mut cx, req, "http request")?)?;
    let settings = Arc::clone(&cx.data().settings);
    // Checked before the body is consumed; every redirect hop is checked the same way.
    request.check(&settings.allowed_hosts)?;
    let body = if body != 0 {
        take_bytes(&mut cx, body, "http body")?
    } else {
        Vec::new()
    };
    let plugin = Arc::clone(&cx.data().plugin);
    let deadline = cx.data().deadline;
    let stop = || plugin.is_cancelled() || deadline.is_some_and(|at| timer::now_ms() >= at);
    if stop() {
        return Err(Trap::Interrupt.into());
    }
    // What is left of the call's time; at least 1 ms, as a zero timeout would mean none.
    let timeout =
        deadline.map(|at| Duration::from_millis(at.saturating_sub(timer::now_ms()).max(1)));
    let request = request.start(
        body,
        &settings.allowed_hosts,
        timeout,
        settings.max_http_response_bytes,
    )?;
    let head = request.head(&stop)?.ok_or(Trap::Interrupt)?;
    {
        let data = cx.data_mut();
        data.http_status = i32::from(head.status);
        if let Some(collected) = &mut data.http_headers {
            collected.extend(head.headers);
        }
    }
    let body = request.body(&stop)?.ok_or(Trap::Interrupt)?;
    kernel::alloc_bytes(&mut cx, &body).map(|h| h as i64)
}

/// `http_headers() -> handle of a JSON object`, or 0 when headers are not enabled.
fn http_headers(mut cx: Cx) -> wasmtime::Result<i64> {
    if !cx
        .data()
        .plugin
        .http_headers_enabled
        .load(Ordering::Relaxed)
    {
        return Ok(0);
    }
    let json = serde_json::to_vec(&cx.data().http_headers.clone().unwrap_or_default())?;
    kernel::alloc_bytes(&mut cx, &json).map(|h| h as i64)
}
