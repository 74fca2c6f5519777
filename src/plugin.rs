//! Plugins and the call protocol (docs/abi.md §4.1, §5.5).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rustc_hash::FxHashMap;
use wasmtime::{Func, Store, Trap, TypedFunc, Val, WasmBacktrace};
use wasmtime_wasi::I32Exit;

use crate::error::{panic_text, Error, OutOfMemory, Result};
use crate::kernel::{self, Region};
use crate::link::{self, PluginTemplate};
use crate::log::{Level, LogCallback, PluginLogger};
use crate::store::{PluginShared, StoreData};
use crate::timer;

/// How the store is rebuilt before the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rebuild {
    /// Everything from scratch, vars included (after `_start`).
    Fresh,
    /// A new store that keeps the vars (after main failed to start).
    KeepVars,
}

/// Return code of a call that trapped, timed out or was cancelled.
pub const RC_TRAP: i32 = 134;
/// The error of a call stopped by its timeout or a cancel request.
pub const TIMEOUT_MESSAGE: &str = "timeout";
const REENTRANT_MESSAGE: &str = "cannot make reentrant calls into plugin";

impl Plugin {
    /// A new plugin made from `template`: its own store, instances, Extism memory, vars and
    /// copy of the config.
    pub(crate) fn from_template(template: &Arc<PluginTemplate>) -> Result<Plugin> {
        let shared = Arc::new(PluginShared::new(template.settings.config.clone()));
        // Instantiation runs guest code (start functions, `_initialize`), which may use WASI.
        let _wasi = wasi_runtime(template)?;
        let (on_demand, store) = crate::stack::with_room(|| link::new_store(template, &shared))??;
        let last = LastCall {
            error: None,
            output: output_address(&store),
        };
        tracing::debug!(target: "extism::plugin", plugin = ?shared.id_string(), "{} created", shared.id_string());
        Ok(Plugin {
            template: Arc::clone(template),
            shared,
            state: Mutex::new(CallState {
                store,
                on_demand,
                exports: FxHashMap::default(),
                rebuild: None,
            }),
            owner: AtomicUsize::new(0),
            last: Mutex::new(last),
        })
    }
}

/// A function's name and wasm signature, as listed by
/// [`CompiledPlugin::exports`](crate::CompiledPlugin::exports) and
/// [`CompiledPlugin::imports`](crate::CompiledPlugin::imports).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FunctionSignature {
    /// The import module, for imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The function name.
    pub name: String,
    /// Parameter types: `i32`, `i64`, `f32`, `f64`, `v128`, `funcref`, `externref`.
    pub params: Vec<&'static str>,
    /// Result types.
    pub results: Vec<&'static str>,
}

impl FunctionSignature {
    pub(crate) fn new(module: Option<&str>, name: &str, ty: &wasmtime::FuncType) -> Self {
        FunctionSignature {
            module: module.map(str::to_owned),
            name: name.to_owned(),
            params: ty.params().map(|t| type_name(&t)).collect(),
            results: ty.results().map(|t| type_name(&t)).collect(),
        }
    }
}

pub(crate) fn exports(template: &PluginTemplate) -> Vec<FunctionSignature> {
    template
        .main_module()
        .exports()
        .filter_map(|export| match export.ty() {
            wasmtime::ExternType::Func(ty) => {
                Some(FunctionSignature::new(None, export.name(), &ty))
            }
            _ => None,
        })
        .collect()
}

/// A main export, typed for the cheapest call.
enum Export {
    Unit(TypedFunc<(), ()>),
    I32(TypedFunc<(), i32>),
    /// Any other signature: called to run it, then reported as -1.
    Other(Func),
}

struct CallState {
    store: Store<StoreData>,
    /// What `store` was made from when it is not the plugin's template: its on-demand sibling,
    /// when the instance pool was full. (Not a second handle to the plugin's template: each
    /// would write the template's shared reference count on every plugin's creation and free.)
    on_demand: Option<Arc<PluginTemplate>>,
    exports: FxHashMap<Box<str>, Export>,
    /// Rebuild the store before the next call: after a call of `_start` (vars emptied, docs/abi.md
    /// §6.5), or after main failed to start (vars kept: nothing of main's ran to completion).
    rebuild: Option<Rebuild>,
}

/// The vars as the next call will see them. After a call of `_start` the next call starts with
/// none (docs/abi.md §6.5); they are emptied here already, so that what the host sets in between
/// is kept, and the store rebuild keeps them.
fn next_call_vars(state: &mut CallState) -> &mut BTreeMap<String, Vec<u8>> {
    if state.rebuild == Some(Rebuild::Fresh) {
        state.store.data_mut().vars.clear();
        state.rebuild = Some(Rebuild::KeepVars);
    }
    &mut state.store.data_mut().vars
}

/// What the last call left behind, readable without the call lock.
#[derive(Debug, Default)]
struct LastCall {
    error: Option<String>,
    /// Address and length of the output in Extism memory.
    output: (usize, usize),
}

/// A plugin: one store with its instances, ready to be called.
///
/// Calls on one plugin are serialised; different plugins run in parallel.
pub struct Plugin {
    template: Arc<PluginTemplate>,
    shared: Arc<PluginShared>,
    state: Mutex<CallState>,
    /// The thread running a call on this plugin (see [`thread_token`]), or 0.
    owner: AtomicUsize,
    last: Mutex<LastCall>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.shared.id_string())
            .finish()
    }
}

/// The WASI runtime entered on this thread for running `template`'s guest code, if it has
/// WASI (see `wasi`); plugins without it pay nothing.
fn wasi_runtime(template: &PluginTemplate) -> Result<Option<tokio::runtime::EnterGuard<'static>>> {
    template
        .settings
        .with_wasi
        .then(crate::wasi::enter)
        .transpose()
}

/// A value unique to the current thread while it lives, never 0.
fn thread_token() -> usize {
    thread_local!(static TOKEN: u8 = const { 0 });
    TOKEN.with(|t| t as *const u8 as usize)
}

/// Cancels a plugin's running call from any thread.
#[derive(Debug, Clone)]
pub struct CancelHandle {
    shared: Arc<PluginShared>,
}

impl CancelHandle {
    /// Asks the running call, if any, to stop; it then fails with rc 134 and "timeout".
    /// An idle plugin and later calls are not affected. Returns true.
    pub fn cancel(&self) -> bool {
        if self.shared.run_state.cancel() {
            timer::arm_cancel();
        }
        true
    }
}

/// The result of a call: return code, error, and output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// 0, the export's i32, 134 for traps and timeouts, -1 for host-side failures, or a WASI
    /// exit code.
    pub rc: i32,
    /// The guest's error, or the host-side cause of a failure.
    pub error: Option<String>,
}

impl Plugin {
    /// Calls `name` with `input` and returns a copy of the output. Fails when the call
    /// returns non-zero or sets an error.
    pub fn call(&self, name: &str, input: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        let outcome = self.call_with_context(name, input.as_ref(), 0);
        match outcome.error {
            Some(error) => Err(Error::msg(error)),
            None if outcome.rc != 0 => Err(Error::msg(format!("Error code: {}", outcome.rc))),
            None => Ok(self.output()),
        }
    }

    /// Calls `name`; host functions see `host_context` during the call. The output stays
    /// available through [`Plugin::output`] until the next call.
    pub fn call_with_context(&self, name: &str, input: &[u8], host_context: usize) -> CallOutcome {
        let token = thread_token();
        if self.owner.load(Ordering::Acquire) == token {
            return CallOutcome {
                rc: -1,
                error: Some(REENTRANT_MESSAGE.to_owned()),
            };
        }
        let _wasi = match wasi_runtime(&self.template) {
            Ok(entered) => entered,
            Err(err) => {
                return CallOutcome {
                    rc: self.record_failure(err.message()),
                    error: Some(err.message().to_owned()),
                }
            }
        };
        let Ok(mut state) = self.state.lock() else {
            let message = "plugin lock poisoned";
            return CallOutcome {
                rc: self.record_failure(message),
                error: Some(message.to_owned()),
            };
        };
        self.owner.store(token, Ordering::Release);
        let run = crate::stack::with_room(|| {
            catch_unwind(AssertUnwindSafe(|| {
                self.run(&mut state, name, input, host_context)
            }))
        })
        .unwrap_or_else(|err| Ok(failure(err.message())));
        self.owner.store(0, Ordering::Release);
        let outcome = run.unwrap_or_else(|payload| CallOutcome {
            rc: -1,
            error: Some(panic_text(payload.as_ref())),
        });
        let output = output_address(&state.store);
        drop(state);
        if let Ok(mut last) = self.last.lock() {
            last.error = outcome.error.clone();
            last.output = output;
        }
        if let (Some(error), true) = (&outcome.error, outcome.rc != 0) {
            tracing::error!(target: "extism::plugin", plugin = ?self.shared.id_string(), "call to {name} failed with {}: {error}", outcome.rc);
        }
        tracing::debug!(target: "extism::plugin", plugin = ?self.shared.id_string(), "{name} returned code {}, output length: {}", outcome.rc, output.1);
        outcome
    }

    /// Empties the saved output; it stays empty until the running call ends.
    fn forget_output(&self) {
        if let Ok(mut last) = self.last.lock() {
            last.output = (0, 0);
        }
    }

    /// Records a call that failed before it could start; returns its rc, -1.
    pub(crate) fn record_failure(&self, message: &str) -> i32 {
        if let Ok(mut last) = self.last.lock() {
            last.error = Some(message.to_owned());
            last.output.1 = 0;
        }
        -1
    }

    fn run(
        &self,
        state: &mut CallState,
        name: &str,
        input: &[u8],
        host_context: usize,
    ) -> CallOutcome {
        let settings = &self.template.settings;
        if let Some(rebuild) = state.rebuild {
            match link::new_store(&self.template, &self.shared) {
                Ok((on_demand, store)) => {
                    let vars = (rebuild == Rebuild::KeepVars)
                        .then(|| std::mem::take(&mut state.store.data_mut().vars));
                    self.replace_store(state, on_demand, store, vars);
                }
                Err(err) => return failure(err.message()),
            }
            state.rebuild = None;
        }
        let store = &mut state.store;
        if let Some(fuel) = settings.fuel {
            if let Err(err) = store.set_fuel(fuel) {
                return failure(&err.to_string());
            }
        }
        {
            let data = store.data_mut();
            data.kernel.error = 0;
            data.kernel.output = Region::default();
            data.host_error = None;
        }
        if let Err(err) = self.start_main(state) {
            // wasmtime frees an instance, even one whose start function or initialisation
            // failed, only with its store. Retrying in this store would keep one more dead
            // instance (and its memory) per call, so the next call starts from a new store.
            state.rebuild = Some(Rebuild::KeepVars);
            let err = crate::pool::explain_engine_address_limit(err);
            return outcome(&mut state.store, Err(err));
        }
        let store = &mut state.store;
        if let Err(err) = kernel::begin_call(&mut *store, input) {
            return outcome(store, Err(err));
        }
        let store = &mut state.store;
        let template = state.on_demand.as_ref().unwrap_or(&self.template);
        let export = match lookup_export(&mut state.exports, store, template, name) {
            Ok(export) => export,
            Err(err) => return failure(err.message()),
        };
        store.data_mut().host_context = host_context;
        tracing::debug!(target: "extism::plugin", plugin = ?self.shared.id_string(), "calling {name}, input size: {}", input.len());
        let timeout = settings.timeout_ms;
        if let Some(timeout) = timeout {
            if let Err(err) = timer::arm_call() {
                return failure(err.message());
            }
            store.data_mut().deadline = Some(timer::deadline_after(timeout));
        }
        self.shared.run_state.start();
        store.set_epoch_deadline(1);
        // A panicking host function fails the call; the clean-up below still runs.
        let result = catch_unwind(AssertUnwindSafe(|| invoke(store, export)))
            .unwrap_or_else(|payload| Err(wasmtime::Error::msg(panic_text(payload.as_ref()))));
        if self.shared.run_state.finish() {
            timer::disarm_cancel();
        }
        if timeout.is_some() {
            timer::disarm_call();
        }
        let data = store.data_mut();
        data.deadline = None;
        data.host_context = 0;
        state.rebuild = (name == "_start").then_some(Rebuild::Fresh);
        outcome(&mut state.store, result)
    }

    /// Makes `store` the plugin's store, with `vars` when given; `on_demand` is the template it
    /// was made from when that is not the plugin's own.
    fn replace_store(
        &self,
        state: &mut CallState,
        on_demand: Option<Arc<PluginTemplate>>,
        mut store: Store<StoreData>,
        vars: Option<BTreeMap<String, Vec<u8>>>,
    ) {
        if let Some(vars) = vars {
            store.data_mut().vars = vars;
        }
        // The saved output points into the old store's memory, which is unmapped with it;
        // forget it first, so that a host function of this call that asks for the output gets
        // none rather than reading unmapped memory.
        self.forget_output();
        state.store = store;
        state.on_demand = on_demand;
        state.exports.clear();
    }

    /// Instantiates main in the plugin's store if it is not yet. When the instance pool is
    /// full, moves to a store whose instances are allocated on demand, with the vars, first.
    fn start_main(&self, state: &mut CallState) -> wasmtime::Result<()> {
        let template = state.on_demand.as_ref().unwrap_or(&self.template);
        let err = match link::main_instance(&mut state.store, template) {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if !crate::pool::is_full(&err) {
            return Err(err);
        }
        let Some(sibling) = template.on_demand() else {
            return Err(err);
        };
        let sibling = sibling?;
        tracing::debug!(target: "extism::engine", plugin = ?self.shared.id_string(), "instance pool full: allocating on demand");
        let store = link::store_for(&sibling, &self.shared)?;
        let vars = std::mem::take(&mut state.store.data_mut().vars);
        self.replace_store(state, Some(Arc::clone(&sibling)), store, Some(vars));
        link::main_instance(&mut state.store, &sibling).map(drop)
    }

    /// The output of the last call (a copy).
    pub fn output(&self) -> Vec<u8> {
        // Hold the call lock so no call rewrites Extism memory while it is copied; from one of
        // this plugin's own host functions the lock is already held by this thread.
        let _state =
            (self.owner.load(Ordering::Acquire) != thread_token()).then(|| self.state.lock());
        let (ptr, len) = self.output_raw();
        if len == 0 {
            return Vec::new();
        }
        // SAFETY: `output_raw` gives `len` bytes inside the Extism memory of this plugin's
        // current store: the saved output is emptied before a store is replaced (`run`), and
        // that memory never moves while the store lives (`memory_may_move(false)`, engine.rs).
        // The call lock is held (by us, or by this thread's own paused call), so nothing
        // writes the bytes while they are copied.
        unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()
    }

    /// Address and length of the last call's output inside Extism memory. The address is
    /// valid until the next call, reset or drop of this plugin.
    pub(crate) fn output_raw(&self) -> (*const u8, usize) {
        let (addr, len) = self.last.lock().map_or((0, 0), |last| last.output);
        (addr as *const u8, len)
    }

    /// The error of the last call, if it had one.
    pub fn error(&self) -> Option<String> {
        self.last.lock().ok().and_then(|last| last.error.clone())
    }

    /// Forgets the last call's error.
    pub fn clear_error(&self) {
        if let Ok(mut last) = self.last.lock() {
            last.error = None;
        }
    }

    /// Whether main exports `name` as `() -> ()` or `() -> i32`.
    pub fn function_exists(&self, name: &str) -> bool {
        let Some(wasmtime::ExternType::Func(ty)) = self.template.main_module().get_export(name)
        else {
            return false;
        };
        ty.params().len() == 0
            && (ty.results().len() == 0
                || (ty.results().len() == 1
                    && matches!(ty.results().next(), Some(wasmtime::ValType::I32))))
    }

    /// The plugin's id: a random UUIDv4, fixed for its lifetime.
    pub fn id(&self) -> &[u8; 16] {
        &self.shared.id
    }

    /// Merges `changes` into the config: `Some` sets a key, `None` removes it.
    pub fn update_config(&self, changes: BTreeMap<String, Option<String>>) -> Result<()> {
        let mut config = self
            .shared
            .config
            .write()
            .map_err(|_| Error::msg("config lock poisoned"))?;
        for (key, value) in changes {
            match value {
                Some(value) => config.insert(key, value),
                None => config.remove(&key),
            };
        }
        Ok(())
    }

    /// Releases all Extism memory. Fails from inside one of this plugin's host functions.
    pub fn reset(&self) -> Result<()> {
        let mut state = self.lock_idle()?;
        kernel::reset(&mut state.store);
        let output = output_address(&state.store);
        drop(state);
        if let Ok(mut last) = self.last.lock() {
            last.output = output;
            last.error = None;
        }
        Ok(())
    }

    fn lock_idle(&self) -> Result<MutexGuard<'_, CallState>> {
        if self.owner.load(Ordering::Acquire) == thread_token() {
            return Err(Error::msg(REENTRANT_MESSAGE));
        }
        self.state
            .lock()
            .map_err(|_| Error::msg("plugin lock poisoned"))
    }

    /// A handle that cancels this plugin's running call from any thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Sends this plugin's own log messages (its `log_*` calls and
    /// [`CurrentPlugin::log`](crate::CurrentPlugin::log)) at or above `min_level` to
    /// `callback`, besides the process-wide sink; `None` removes the callback. While set, the
    /// plugin's `get_log_level` reports the lower of `min_level` and the process-wide level.
    pub fn set_log_callback(&self, callback: Option<(Level, LogCallback)>) -> Result<()> {
        self.shared
            .log
            .set_logger(callback.map(|(min_level, callback)| PluginLogger {
                min_level,
                callback,
            }))
    }

    /// The value of var `key`, if set. Fails while a call runs on this plugin.
    pub fn var_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let mut state = self.lock_between_calls()?;
        Ok(next_call_vars(&mut state).get(key).cloned())
    }

    /// Sets var `key` with the guest's `var_set` accounting against `max_var_bytes`. Fails
    /// while a call runs on this plugin, when vars are disabled, or when the store is full.
    pub fn var_set(&self, key: &str, value: &[u8]) -> Result<()> {
        let mut state = self.lock_between_calls()?;
        let limit = self.template.settings.max_var_bytes;
        crate::vars::insert(
            next_call_vars(&mut state),
            limit,
            key.to_owned(),
            value.to_vec(),
        )
    }

    /// Removes var `key`; returns whether it existed. Fails while a call runs.
    pub fn var_remove(&self, key: &str) -> Result<bool> {
        let mut state = self.lock_between_calls()?;
        Ok(next_call_vars(&mut state).remove(key).is_some())
    }

    fn lock_between_calls(&self) -> Result<MutexGuard<'_, CallState>> {
        match self.state.try_lock() {
            Ok(state) => Ok(state),
            Err(std::sync::TryLockError::WouldBlock) => {
                Err(Error::msg("a call is running on this plugin"))
            }
            Err(std::sync::TryLockError::Poisoned(_)) => Err(Error::msg("plugin lock poisoned")),
        }
    }

    /// The main module's exported functions as a JSON array of
    /// `{"name": …, "params": […], "results": […]}` with wasm type names.
    pub fn exports_json(&self) -> String {
        serde_json::to_string(&exports(&self.template)).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Makes `http_headers` return the last response's headers.
    pub fn allow_http_response_headers(&self) {
        self.shared
            .http_headers_enabled
            .store(true, Ordering::Relaxed);
    }
}

fn type_name(ty: &wasmtime::ValType) -> &'static str {
    match ty {
        wasmtime::ValType::I32 => "i32",
        wasmtime::ValType::I64 => "i64",
        wasmtime::ValType::F32 => "f32",
        wasmtime::ValType::F64 => "f64",
        wasmtime::ValType::V128 => "v128",
        wasmtime::ValType::Ref(r) if r.heap_type().is_func() => "funcref",
        wasmtime::ValType::Ref(_) => "externref",
    }
}

/// The cached handle of main's export `name`, typed on first use. Borrowed, not cloned: a
/// typed handle holds its function type, whose clone and drop would update a reference count
/// that every plugin of the same module shares, on every call, from every thread.
fn lookup_export<'a>(
    exports: &'a mut FxHashMap<Box<str>, Export>,
    store: &mut Store<StoreData>,
    template: &Arc<PluginTemplate>,
    name: &str,
) -> Result<&'a Export> {
    // Two lookups: returning the first one's borrow from inside the `if` would keep `exports`
    // borrowed for the insertion below (a current borrow-checker limit).
    if exports.contains_key(name) {
        return Ok(&exports[name]);
    }
    let main = link::main_instance(store, template)?;
    let Some(func) = main.get_func(&mut *store, name) else {
        return Err(Error::msg(format!("Function not found: {name}")));
    };
    let ty = func.ty(&*store);
    if ty.params().len() != 0 {
        return Err(Error::msg(format!(
            "expected {} arguments, got 0",
            ty.params().len()
        )));
    }
    if ty.results().len() > 1 {
        return Err(Error::msg(format!(
            "Function {name} has {} results, expected 0 or 1",
            ty.results().len()
        )));
    }
    let export = match ty.results().next() {
        None => Export::Unit(func.typed::<(), ()>(&*store)?),
        Some(wasmtime::ValType::I32) => Export::I32(func.typed::<(), i32>(&*store)?),
        Some(_) => Export::Other(func),
    };
    Ok(exports.entry(name.into()).or_insert(export))
}

/// How the export returned: nothing, an i32, or another value (reported as -1).
enum Returned {
    Nothing,
    Code(i32),
    Other,
}

fn invoke(store: &mut Store<StoreData>, export: &Export) -> wasmtime::Result<Returned> {
    match export {
        Export::Unit(f) => f.call(&mut *store, ()).map(|()| Returned::Nothing),
        Export::I32(f) => f.call(&mut *store, ()).map(Returned::Code),
        Export::Other(f) => {
            let mut results = [Val::I32(0)];
            let n = f.ty(&*store).results().len();
            f.call(&mut *store, &[], &mut results[..n])
                .map(|()| Returned::Other)
        }
    }
}

fn failure(message: &str) -> CallOutcome {
    CallOutcome {
        rc: -1,
        error: Some(message.to_owned()),
    }
}

/// Return code and error of a finished call, in the order of docs/abi.md §4.1.
fn outcome(store: &mut Store<StoreData>, result: wasmtime::Result<Returned>) -> CallOutcome {
    let trap = result
        .as_ref()
        .err()
        .and_then(|e| e.downcast_ref::<Trap>().copied());
    if trap == Some(Trap::OutOfFuel) {
        return failure("plugin ran out of fuel");
    }
    let guest_error = store.data().kernel.error;
    if guest_error != 0 {
        let text = kernel::block(&*store, guest_error)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default();
        let rc = match result {
            Ok(Returned::Code(rc)) => rc,
            Ok(Returned::Nothing) => 0,
            Ok(Returned::Other) | Err(_) => -1,
        };
        return CallOutcome {
            rc,
            error: Some(text),
        };
    }
    let err = match result {
        Ok(Returned::Nothing) => return CallOutcome { rc: 0, error: None },
        Ok(Returned::Code(rc)) => return CallOutcome { rc, error: None },
        Ok(Returned::Other) => {
            return CallOutcome {
                rc: -1,
                error: None,
            }
        }
        Err(err) => err,
    };
    if let Some(exit) = err.downcast_ref::<I32Exit>() {
        return CallOutcome {
            rc: exit.0,
            error: (exit.0 != 0).then(|| exit.to_string()),
        };
    }
    if let Some(trap) = trap {
        let error = if trap == Trap::Interrupt {
            TIMEOUT_MESSAGE.to_owned()
        } else {
            match err.downcast_ref::<WasmBacktrace>() {
                Some(trace) => format!("{trap}\n{trace}"),
                None => trap.to_string(),
            }
        };
        return CallOutcome {
            rc: RC_TRAP,
            error: Some(error),
        };
    }
    if err.is::<OutOfMemory>() {
        return failure("oom");
    }
    failure(&err.root_cause().to_string())
}

/// Address and length of the output region, or the memory base and 0 when there is none.
fn output_address(store: &Store<StoreData>) -> (usize, usize) {
    let Some(instance) = store.data().kernel.instance() else {
        return (0, 0);
    };
    let base = instance.memory.data_ptr(store) as usize;
    let region = store.data().kernel.output;
    match kernel::bytes(store, region) {
        Some(bytes) if !bytes.is_empty() => (bytes.as_ptr() as usize, bytes.len()),
        _ => (base, 0),
    }
}

/// Plugins and cancel handles are shared across threads by C callers.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Plugin>();
    assert_send_sync::<CancelHandle>();
};
