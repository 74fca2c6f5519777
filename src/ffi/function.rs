//! Host functions from C: `extism_function_*`, the value types, and the callback glue.

use std::ffi::{c_char, c_int, c_void};
use std::sync::Mutex;

use wasmtime::Val;

use super::current_plugin::ExtismCurrentPlugin;
use super::{c_str_lossy, ffi_boundary, free_box, try_ref, try_str, ExtismSize, UserData};
use crate::error::{Error, Result};
use crate::host_fn::{CurrentPlugin, Function, ValType};

/// Value types of host-function parameters and results. Only I32, I64, F32 and F64 can be
/// used; `extism_function_new` refuses the others.
/// cbindgen:prefix-with-name
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtismValType {
    /// 32-bit integer.
    I32 = 0,
    /// 64-bit integer, also used for Extism memory handles.
    I64 = 1,
    /// 32-bit float.
    F32 = 2,
    /// 64-bit float.
    F64 = 3,
    /// 128-bit vector (not usable).
    V128 = 4,
    /// Function reference (not usable).
    FuncRef = 5,
    /// External reference (not usable).
    ExternRef = 6,
}

const _: () = assert!(std::mem::size_of::<ExtismValType>() == std::mem::size_of::<c_int>());

/// A value's payload; which member is live depends on the value's type.
#[repr(C)]
#[derive(Clone, Copy)]
pub union ExtismValUnion {
    /// For `ExtismValType_I32`.
    pub i32: i32,
    /// For `ExtismValType_I64`.
    pub i64: i64,
    /// For `ExtismValType_F32`.
    pub f32: f32,
    /// For `ExtismValType_F64`.
    pub f64: f64,
}

/// A typed value passed to and from host functions.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ExtismVal {
    /// The value's type.
    pub t: ExtismValType,
    /// The value.
    pub v: ExtismValUnion,
}

/// A host-function callback. `inputs` holds the `n_inputs` arguments (NULL when there are
/// none); `outputs` holds `n_outputs` entries pre-set to the declared result types and zero
/// (NULL when there are none), which the callback fills in. `data` is the function's
/// user data. `plugin` is valid only until the callback returns. The callback runs on the
/// thread that called the plugin, and must not unwind or `longjmp` through this library.
pub type ExtismFunctionType = Option<
    unsafe extern "C" fn(
        plugin: *mut ExtismCurrentPlugin,
        inputs: *const ExtismVal,
        n_inputs: ExtismSize,
        outputs: *mut ExtismVal,
        n_outputs: ExtismSize,
        data: *mut c_void,
    ),
>;

/// A host function. Created by `extism_function_new`, always freed by `extism_function_free`;
/// registering it with a plugin moves its contents out and leaves the wrapper empty.
pub struct ExtismFunction {
    function: Mutex<Option<Function>>,
}

/// Reads `n` value types from C memory as integers, refusing anything but I32..F64.
///
/// # Safety
/// `types` is NULL (read as no types) or points to `n` readable `ExtismValType` slots.
unsafe fn read_types(types: *const ExtismValType, n: ExtismSize) -> Option<Vec<ValType>> {
    if types.is_null() {
        return Some(Vec::new());
    }
    let n = usize::try_from(n).ok()?;
    (0..n)
        .map(|i| {
            // SAFETY: a non-NULL type array holds `n` entries (this function's contract),
            // read as plain ints so that an out-of-range value is rejected rather than
            // becoming an invalid enum.
            let raw = unsafe { types.cast::<c_int>().add(i).read() };
            val_type(raw)
        })
        .collect()
}

fn val_type(raw: c_int) -> Option<ValType> {
    match raw {
        0 => Some(ValType::I32),
        1 => Some(ValType::I64),
        2 => Some(ValType::F32),
        3 => Some(ValType::F64),
        _ => None,
    }
}

fn extism_type(ty: ValType) -> ExtismValType {
    match ty {
        ValType::I32 => ExtismValType::I32,
        ValType::I64 => ExtismValType::I64,
        ValType::F32 => ExtismValType::F32,
        ValType::F64 => ExtismValType::F64,
    }
}

fn to_extism(val: &Val) -> Result<ExtismVal> {
    let (t, v) = match *val {
        Val::I32(i) => (ExtismValType::I32, ExtismValUnion { i64: i64::from(i) }),
        Val::I64(i) => (ExtismValType::I64, ExtismValUnion { i64: i }),
        Val::F32(bits) => (
            ExtismValType::F32,
            ExtismValUnion {
                f32: f32::from_bits(bits),
            },
        ),
        Val::F64(bits) => (
            ExtismValType::F64,
            ExtismValUnion {
                f64: f64::from_bits(bits),
            },
        ),
        _ => return Err(Error::msg("unsupported host function argument type")),
    };
    Ok(ExtismVal { t, v })
}

/// Reads an output the callback filled in; its `t` must still be the declared type.
///
/// # Safety
/// `out` points to a readable, initialised `ExtismVal`.
unsafe fn from_extism(out: *const ExtismVal, declared: ValType) -> Result<Val> {
    // SAFETY: `out` is readable and initialised (this function's contract); `t` is read as an
    // int because the callback may have stored any value there.
    let (raw, v) = unsafe { (out.cast::<c_int>().read(), (*out).v) };
    if val_type(raw) != Some(declared) {
        return Err(Error::msg(format!(
            "host function returned a value of type {raw}, expected {declared:?}"
        )));
    }
    // SAFETY: the union member read matches the checked type.
    Ok(unsafe {
        match declared {
            ValType::I32 => Val::I32(v.i32),
            ValType::I64 => Val::I64(v.i64),
            ValType::F32 => Val::F32(v.f32.to_bits()),
            ValType::F64 => Val::F64(v.f64.to_bits()),
        }
    })
}

/// How many arguments or results fit in the on-stack arrays of [`call_c`].
const INLINE_VALS: usize = 8;

const ZERO_VAL: ExtismVal = ExtismVal {
    t: ExtismValType::I64,
    v: ExtismValUnion { i64: 0 },
};

/// `n` value slots: the start of `inline` when they fit, otherwise `heap` grown to `n`.
fn value_slots<'a>(
    inline: &'a mut [ExtismVal; INLINE_VALS],
    heap: &'a mut Vec<ExtismVal>,
    n: usize,
) -> &'a mut [ExtismVal] {
    if n <= INLINE_VALS {
        &mut inline[..n]
    } else {
        heap.resize(n, ZERO_VAL);
        heap
    }
}

/// Runs a C callback with the calling convention of docs/abi.md §3.3.
fn call_c(
    func: unsafe extern "C" fn(
        *mut ExtismCurrentPlugin,
        *const ExtismVal,
        ExtismSize,
        *mut ExtismVal,
        ExtismSize,
        *mut c_void,
    ),
    user_data: &UserData,
    results_types: &[ValType],
    current: &mut CurrentPlugin<'_>,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    // Arguments and results live on the stack for the usual short signatures.
    let mut inline_inputs = [ZERO_VAL; INLINE_VALS];
    let mut inline_outputs = [ZERO_VAL; INLINE_VALS];
    let mut heap_inputs = Vec::new();
    let mut heap_outputs = Vec::new();
    let inputs = value_slots(&mut inline_inputs, &mut heap_inputs, params.len());
    for (slot, param) in inputs.iter_mut().zip(params) {
        *slot = to_extism(param)?;
    }
    let outputs = value_slots(&mut inline_outputs, &mut heap_outputs, results_types.len());
    for (slot, &ty) in outputs.iter_mut().zip(results_types) {
        slot.t = extism_type(ty);
    }
    let inputs_ptr = if inputs.is_empty() {
        std::ptr::null()
    } else {
        inputs.as_ptr()
    };
    let outputs_ptr = if outputs.is_empty() {
        std::ptr::null_mut()
    } else {
        outputs.as_mut_ptr()
    };
    let plugin = (current as *mut CurrentPlugin<'_>).cast::<ExtismCurrentPlugin>();
    // SAFETY: the arrays have the lengths passed; `plugin` stays valid for the callback.
    unsafe {
        func(
            plugin,
            inputs_ptr,
            inputs.len() as ExtismSize,
            outputs_ptr,
            outputs.len() as ExtismSize,
            user_data.get(),
        )
    };
    for (i, (slot, &ty)) in results.iter_mut().zip(results_types).enumerate() {
        // SAFETY: i < outputs.len(), and every output slot was initialised before the call.
        *slot = unsafe { from_extism(outputs.as_ptr().add(i), ty) }?;
    }
    Ok(())
}

/// Creates a host function named `name` (UTF-8), imported from namespace `extism:host/user`
/// unless changed with `extism_function_set_namespace`. The `n_inputs` parameter and
/// `n_outputs` result types are copied (a NULL array counts as empty); only I32, I64, F32 and
/// F64 are accepted. `func` is called with `user_data` on every invocation; `free_user_data`
/// (may be NULL) runs exactly once on `user_data` (never for NULL) when the last holder goes:
/// at `extism_function_free` if never registered, otherwise when the last plugin or compiled
/// plugin holding it is freed. Returns a function to free with `extism_function_free`, or NULL
/// for a NULL or non-UTF-8 `name`, a NULL `func`, or an unusable type.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `inputs`/`outputs` are NULL or hold `n_inputs`/
/// `n_outputs` entries; `func` and `free_user_data` are valid to call with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn extism_function_new(
    name: *const c_char,
    inputs: *const ExtismValType,
    n_inputs: ExtismSize,
    outputs: *const ExtismValType,
    n_outputs: ExtismSize,
    func: ExtismFunctionType,
    user_data: *mut c_void,
    free_user_data: Option<unsafe extern "C" fn(_: *mut c_void)>,
) -> *mut ExtismFunction {
    ffi_boundary! {
        let name = try_str!(name);
        let Some(func) = func else { return std::ptr::null_mut() };
        // SAFETY: each array is NULL or holds its count of entries, per the contract.
        let types = unsafe { (read_types(inputs, n_inputs), read_types(outputs, n_outputs)) };
        let (Some(params), Some(results)) = types else {
            return std::ptr::null_mut();
        };
        // Taken only once the function will be created: on failure the caller keeps it.
        let user_data = UserData::new(user_data, free_user_data);
        let result_types = results.clone();
        let function = Function::new(name, params, results, move |current, params, results| {
            call_c(func, &user_data, &result_types, current, params, results)
        });
        Box::into_raw(Box::new(ExtismFunction { function: Mutex::new(Some(function)) }))
    }
}

/// Frees a function wrapper. If the function was never registered, this drops its user data
/// (running `free_user_data`). NULL is a no-op.
///
/// # Safety
/// `f` is NULL or a function from `extism_function_new` that has not been freed yet.
#[no_mangle]
pub unsafe extern "C" fn extism_function_free(f: *mut ExtismFunction) {
    ffi_boundary! {
        // SAFETY: functions are made by `Box::into_raw`, and the caller frees each once.
        unsafe { free_box(f) }
    }
}

/// Sets the import module name of a function not yet registered (the text is converted
/// lossily to UTF-8). On a registered function it does nothing. Either argument NULL: no-op.
///
/// # Safety
/// `ptr` is NULL or a live function; `namespace_` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn extism_function_set_namespace(
    ptr: *mut ExtismFunction,
    namespace_: *const c_char,
) {
    ffi_boundary! {
        let function = try_ref!(ptr);
        // SAFETY: NULL or NUL-terminated, per the contract.
        let Some(namespace) = (unsafe { c_str_lossy(namespace_) }) else {
            return;
        };
        if let Ok(mut slot) = function.function.lock() {
            match slot.as_mut() {
                Some(function) => function.set_namespace(namespace.as_ref()),
                None => tracing::debug!(target: "extism::function", "namespace of a registered function left unchanged"),
            }
        }
    }
}

/// Moves the functions out of a constructor's function array (docs/abi.md §3.5). A NULL array
/// means none. Errors carry no prefix.
///
/// # Safety
/// `functions` is NULL (no functions) or points to `n_functions` readable pointers, each NULL
/// or a live `ExtismFunction`.
pub(crate) unsafe fn take_functions(
    functions: *const *const ExtismFunction,
    n_functions: ExtismSize,
) -> Result<Vec<Function>> {
    if functions.is_null() {
        return Ok(Vec::new());
    }
    let n = usize::try_from(n_functions).map_err(|_| Error::msg("too many functions"))?;
    let mut taken = Vec::with_capacity(n.min(1024));
    for i in 0..n {
        // SAFETY: a non-NULL array holds `n_functions` pointers (this function's contract).
        let ptr = unsafe { functions.add(i).read() };
        // SAFETY: each element is NULL or a live `ExtismFunction` (this function's contract).
        let Some(wrapper) = (unsafe { ptr.as_ref() }) else {
            return Err(Error::msg("Cannot pass null pointer"));
        };
        let function = wrapper
            .function
            .lock()
            .ok()
            .and_then(|mut slot| slot.take());
        let Some(function) = function else {
            return Err(Error::msg(
                "Function cannot be registered with multiple different Plugins",
            ));
        };
        taken.push(function);
    }
    Ok(taken)
}
