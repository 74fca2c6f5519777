//! Host functions: `Function` (name, namespace, signature, callback) and `CurrentPlugin`, the
//! view a host function gets of the plugin that called it.

use std::fmt;
use std::sync::Arc;

use wasmtime::{Caller, Engine, FuncType, Linker, Val};

use crate::error::{Error, Result};
use crate::kernel::{self, Region};
use crate::log::Level;
use crate::store::StoreData;

/// The namespace host functions get unless another is set.
pub const DEFAULT_NAMESPACE: &str = "extism:host/user";

/// Value types a host function may take and return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer; also Extism memory handles.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

/// The type that carries Extism memory handles.
pub const PTR: ValType = ValType::I64;

impl From<ValType> for wasmtime::ValType {
    fn from(ty: ValType) -> Self {
        match ty {
            ValType::I32 => wasmtime::ValType::I32,
            ValType::I64 => wasmtime::ValType::I64,
            ValType::F32 => wasmtime::ValType::F32,
            ValType::F64 => wasmtime::ValType::F64,
        }
    }
}

type Callback = dyn Fn(&mut CurrentPlugin<'_>, &[Val], &mut [Val]) -> Result<()> + Send + Sync;

/// A host function that plugins can import.
///
/// Cloning is cheap and shares the callback, so every plugin made from one compiled plugin
/// shares the same captured state.
#[derive(Clone)]
pub struct Function {
    name: String,
    namespace: String,
    params: Vec<ValType>,
    results: Vec<ValType>,
    callback: Arc<Callback>,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("params", &self.params)
            .field("results", &self.results)
            .finish()
    }
}

impl Function {
    /// A function imported as `name` from the default namespace `extism:host/user`.
    /// `callback` receives the arguments and fills the results, which start as zeros of the
    /// declared types; returning an error fails the running call with that message.
    pub fn new(
        name: impl Into<String>,
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
        callback: impl Fn(&mut CurrentPlugin<'_>, &[Val], &mut [Val]) -> Result<()>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        Function {
            name: name.into(),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
            callback: Arc::new(callback),
        }
    }

    /// This function, imported from `namespace` instead.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Sets the namespace the function is imported from.
    pub fn set_namespace(&mut self, namespace: impl Into<String>) {
        self.namespace = namespace.into();
    }

    /// The import name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The import module name.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// Result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }

    /// Adds this function to `linker`, shadowing any earlier definition of the same name.
    pub(crate) fn define(&self, engine: &Engine, linker: &mut Linker<StoreData>) -> Result<()> {
        let ty = FuncType::new(
            engine,
            self.params.iter().copied().map(Into::into),
            self.results.iter().copied().map(Into::into),
        );
        let callback = Arc::clone(&self.callback);
        linker
            .func_new(
                &self.namespace,
                &self.name,
                ty,
                move |caller, params, results| {
                    let mut current = CurrentPlugin { caller };
                    // User code runs on the thread's own stack, even when the guest runs
                    // on a stack the library keeps (`stack`).
                    let outcome =
                        crate::stack::on_caller_stack(|| callback(&mut current, params, results));
                    let requested = current.caller.data_mut().host_error.take();
                    match (outcome, requested) {
                        (_, Some(message)) => Err(wasmtime::Error::msg(message)),
                        (Err(err), None) => Err(wasmtime::Error::msg(err.message().to_owned())),
                        (Ok(()), None) => Ok(()),
                    }
                },
            )
            .map(|_| ())
            .map_err(Error::from)
    }
}

/// The plugin a host function is running in. Valid only during the callback.
pub struct CurrentPlugin<'a> {
    caller: Caller<'a, StoreData>,
}

impl CurrentPlugin<'_> {
    /// All of Extism memory. Block `h` is at `[h, h + length(h))`. The slice, and its address,
    /// may change after [`CurrentPlugin::alloc`].
    pub fn memory(&mut self) -> &mut [u8] {
        match self.caller.data().kernel.instance() {
            Some(instance) => instance.memory.data_mut(&mut self.caller),
            None => &mut [],
        }
    }

    /// Allocates a block of `n` bytes; 0 when `n` is 0 or memory cannot grow (including
    /// growth refused by `max_pages`).
    pub fn alloc(&mut self, n: u64) -> u64 {
        kernel::alloc(&mut self.caller, n).unwrap_or(0)
    }

    /// Copies `bytes` into a new block and returns its handle (0 for empty `bytes`).
    pub fn alloc_bytes(&mut self, bytes: &[u8]) -> Result<u64> {
        kernel::alloc_bytes(&mut self.caller, bytes).map_err(Error::from)
    }

    /// Releases a block; 0 and unknown handles are ignored.
    pub fn free(&mut self, handle: u64) {
        kernel::free(&mut self.caller, handle);
    }

    /// Used length of the live block starting at `handle`; 0 for anything else.
    pub fn length(&self, handle: u64) -> u64 {
        self.caller.data().kernel.length(handle)
    }

    /// The bytes of the live block at `handle` (empty for 0), or `None` for an invalid handle.
    pub fn block(&self, handle: u64) -> Option<&[u8]> {
        kernel::block(&self.caller, handle)
    }

    /// The bytes of `[offset, offset + length)` in Extism memory, if in range.
    pub fn bytes(&self, offset: u64, length: u64) -> Option<&[u8]> {
        kernel::bytes(&self.caller, Region { offset, length })
    }

    /// Makes the running call fail with `message` once this callback returns.
    pub fn set_error(&mut self, message: impl Into<String>) {
        self.caller.data_mut().host_error = Some(message.into());
    }

    /// Logs `message` as the plugin itself would with `log_*`: to the process-wide sink,
    /// tagged with the plugin's id, and to the plugin's own log callback.
    pub fn log(&self, level: Level, message: &str) {
        let log = &self.caller.data().plugin.log;
        if log.enabled(level) {
            log.message(level, message.as_bytes());
        }
    }

    /// The calling plugin's id.
    pub fn id(&self) -> [u8; 16] {
        self.caller.data().plugin.id
    }

    /// The host context address given to the running call (0 when none).
    pub(crate) fn host_context(&self) -> usize {
        self.caller.data().host_context
    }
}
