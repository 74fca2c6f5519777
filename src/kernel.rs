//! Extism memory: the kernel module, the block allocator, and the input, output and error
//! records (docs/abi.md §5.2, §5.4).
//!
//! Extism memory is the linear memory of a small wasm module (`kernel.wat`) instantiated in
//! every store. The per-8-byte functions (`load_*`, `store_*`, `input_load_*`) are wasm in
//! that module, so guests reach them with a wasm-to-wasm call. Everything else — allocation,
//! lengths, records — is kept here on the host, where it costs no calls into wasm.

use rustc_hash::FxHashMap;
use wasmtime::{AsContext, AsContextMut, Global, Memory, Val};

use crate::error::OutOfMemory;

/// A store's data that holds a [`Kernel`]: what the functions here need of a store.
pub(crate) trait HasKernel {
    /// The store's kernel.
    fn kernel(&self) -> &Kernel;
    /// The store's kernel, for changes.
    fn kernel_mut(&mut self) -> &mut Kernel;
}

/// Source of the kernel module.
pub(crate) const KERNEL_WAT: &str = include_str!("kernel.wat");

/// The first handle the allocator hands out; everything below is never a block, so 0 is
/// never a valid handle.
pub(crate) const HEAP_START: u64 = 64;

const PAGE: u64 = 65536;
const MAX_PAGES: u64 = 65536;
/// A free block is split when at least this many bytes would be left over.
const SPLIT_THRESHOLD: u64 = 128;

/// The names of the 32 functions a guest may import from `extism:host/env`.
pub(crate) const ENV_FUNCTIONS: [&str; 32] = [
    "alloc",
    "free",
    "length",
    "length_unsafe",
    "load_u8",
    "load_u64",
    "store_u8",
    "store_u64",
    "input_length",
    "input_offset",
    "input_load_u8",
    "input_load_u64",
    "input_set",
    "output_set",
    "output_offset",
    "output_length",
    "error_set",
    "error_get",
    "reset",
    "memory_bytes",
    "config_get",
    "var_get",
    "var_set",
    "http_request",
    "http_status_code",
    "http_headers",
    "log_trace",
    "log_debug",
    "log_info",
    "log_warn",
    "log_error",
    "get_log_level",
];

#[derive(Debug, Clone, Copy)]
struct Block {
    capacity: u64,
    length: u64,
}

/// A region of Extism memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) offset: u64,
    pub(crate) length: u64,
}

/// Handles to one store's kernel instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KernelInstance {
    pub(crate) memory: Memory,
    input_offset: Global,
    input_length: Global,
}

impl KernelInstance {
    /// Looks up the kernel's memory and input globals in a fresh kernel instance.
    pub(crate) fn new(
        store: &mut impl AsContextMut,
        instance: &wasmtime::Instance,
    ) -> Option<Self> {
        Some(KernelInstance {
            memory: instance.get_memory(&mut *store, "memory")?,
            input_offset: instance.get_global(&mut *store, "input_offset_global")?,
            input_length: instance.get_global(&mut *store, "input_length_global")?,
        })
    }
}

/// The allocator and the call records of one store.
#[derive(Debug, Default)]
pub(crate) struct Kernel {
    instance: Option<KernelInstance>,
    /// End of the bump area: every block lies in `[HEAP_START, top)`.
    top: u64,
    live: FxHashMap<u64, Block>,
    /// Freed blocks as (offset, capacity), reused first-fit only when memory would otherwise
    /// have to grow.
    free_blocks: Vec<(u64, u64)>,
    pub(crate) input: Region,
    pub(crate) output: Region,
    pub(crate) error: u64,
    /// What the kernel's input globals hold; a new kernel instance starts them at 0.
    input_globals: Region,
}

impl Kernel {
    pub(crate) fn attach(&mut self, instance: KernelInstance) {
        self.instance = Some(instance);
        self.input_globals = Region::default();
        self.clear();
    }

    pub(crate) fn instance(&self) -> Option<KernelInstance> {
        self.instance
    }

    fn clear(&mut self) {
        self.top = HEAP_START;
        self.live.clear();
        self.free_blocks.clear();
        self.input = Region::default();
        self.output = Region::default();
        self.error = 0;
    }

    /// Used length of the live block starting exactly at `handle`; 0 for anything else.
    pub(crate) fn length(&self, handle: u64) -> u64 {
        self.live.get(&handle).map_or(0, |b| b.length)
    }

    pub(crate) fn is_live(&self, handle: u64) -> bool {
        self.live.contains_key(&handle)
    }

    /// Whether `[offset, offset + length)` lies inside the allocator's managed area.
    fn is_managed(&self, offset: u64, length: u64) -> bool {
        offset >= HEAP_START
            && offset
                .checked_add(length)
                .is_some_and(|end| end <= self.top)
    }

    fn take_bump(&mut self, capacity: u64, length: u64, memory_size: u64) -> Option<u64> {
        let end = self.top.checked_add(capacity)?;
        if end > memory_size {
            return None;
        }
        let handle = self.top;
        self.top = end;
        self.live.insert(handle, Block { capacity, length });
        Some(handle)
    }

    fn take_free(&mut self, capacity: u64, length: u64) -> Option<u64> {
        let index = self
            .free_blocks
            .iter()
            .position(|&(_, cap)| cap >= capacity)?;
        let (offset, mut block_capacity) = self.free_blocks.swap_remove(index);
        if block_capacity - capacity >= SPLIT_THRESHOLD {
            self.free_blocks
                .push((offset + capacity, block_capacity - capacity));
            block_capacity = capacity;
        }
        self.live.insert(
            offset,
            Block {
                capacity: block_capacity,
                length,
            },
        );
        Some(offset)
    }

    /// Merges adjacent free blocks, and gives the free blocks at the end of the area back to
    /// the bump area. Runs only when an allocation would otherwise grow the memory.
    fn coalesce(&mut self) {
        self.free_blocks.sort_unstable_by_key(|&(offset, _)| offset);
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.free_blocks.len());
        for &(offset, capacity) in &self.free_blocks {
            match merged.last_mut() {
                Some((last, last_capacity)) if *last + *last_capacity == offset => {
                    *last_capacity += capacity;
                }
                _ => merged.push((offset, capacity)),
            }
        }
        if let Some(&(offset, capacity)) = merged.last() {
            if offset + capacity == self.top {
                self.top = offset;
                merged.pop();
            }
        }
        self.free_blocks = merged;
    }

    /// A block for `length` bytes (`capacity` rounded up) within `memory_size` bytes: from the
    /// bump area while it has room, and only then from freed blocks (docs/abi.md §5.4, "reuse
    /// only under pressure").
    fn take(&mut self, capacity: u64, length: u64, memory_size: u64) -> Option<u64> {
        if let Some(handle) = self.take_bump(capacity, length, memory_size) {
            return Some(handle);
        }
        if let Some(handle) = self.take_free(capacity, length) {
            return Some(handle);
        }
        if self.free_blocks.is_empty() {
            return None;
        }
        self.coalesce();
        self.take_bump(capacity, length, memory_size)
            .or_else(|| self.take_free(capacity, length))
    }

    /// Releases the live block at `handle`; anything else is ignored. Returns whether a block
    /// was released. The block is not handed out again while the bump area has room, so a
    /// guest that frees a handle the runtime already freed cannot free a newer block.
    fn release(&mut self, handle: u64) -> bool {
        let Some(block) = self.live.remove(&handle) else {
            return false;
        };
        self.free_blocks.push((handle, block.capacity));
        true
    }
}

fn memory_size<T: HasKernel + 'static>(cx: &impl AsContext<Data = T>, memory: Memory) -> u64 {
    memory.data_size(cx) as u64
}

/// Allocates a block of `n` bytes and returns its handle: 0 when `n` is 0 or memory cannot
/// grow. Growth refused by the `max_pages` budget is an error (`oom`) that fails the call.
pub(crate) fn alloc<T: HasKernel + 'static>(
    mut cx: impl AsContextMut<Data = T>,
    n: u64,
) -> wasmtime::Result<u64> {
    if n == 0 {
        return Ok(0);
    }
    let Some(capacity) = n.checked_add(7).map(|v| v & !7) else {
        return Ok(0);
    };
    let Some(instance) = cx.as_context().data().kernel().instance else {
        return Ok(0);
    };
    let size = memory_size(&cx.as_context(), instance.memory);
    let mut store = cx.as_context_mut();
    let kernel = store.data_mut().kernel_mut();
    if let Some(handle) = kernel.take(capacity, n, size) {
        return Ok(handle);
    }
    let Some(end) = kernel.top.checked_add(capacity) else {
        return Ok(0);
    };
    let pages = (end - size).div_ceil(PAGE);
    if size / PAGE + pages > MAX_PAGES {
        return Ok(0);
    }
    match instance.memory.grow(&mut cx, pages) {
        Ok(_) => {}
        Err(err) if err.is::<OutOfMemory>() => return Err(err),
        Err(_) => return Ok(0),
    }
    let size = memory_size(&cx.as_context(), instance.memory);
    Ok(cx
        .as_context_mut()
        .data_mut()
        .kernel_mut()
        .take_bump(capacity, n, size)
        .unwrap_or(0))
}

/// Releases the block at `handle`. Releasing the input block empties the input.
pub(crate) fn free<T: HasKernel + 'static>(mut cx: impl AsContextMut<Data = T>, handle: u64) {
    let mut store = cx.as_context_mut();
    let kernel = store.data_mut().kernel_mut();
    if kernel.release(handle) && kernel.input.offset == handle {
        set_input(&mut cx, Region::default());
    }
}

fn set_input<T: HasKernel + 'static>(mut cx: impl AsContextMut<Data = T>, region: Region) {
    let mut cx = cx.as_context_mut();
    let kernel = cx.data_mut().kernel_mut();
    kernel.input = region;
    // Calls with inputs of one size get the same region every time, and a global set costs
    // more than the rest of a small call's set-up; skip it when nothing changes.
    if kernel.input_globals == region {
        return;
    }
    let Some(instance) = kernel.instance else {
        return;
    };
    kernel.input_globals = region;
    // The globals are the kernel's own `(mut i64)` globals, so these sets cannot fail.
    let _ = instance
        .input_offset
        .set(&mut cx, Val::I64(region.offset as i64));
    let _ = instance
        .input_length
        .set(&mut cx, Val::I64(region.length as i64));
}

/// `input_set`: declares the input region, if it lies inside the managed area.
pub(crate) fn input_set<T: HasKernel + 'static>(
    cx: impl AsContextMut<Data = T>,
    offset: u64,
    length: u64,
) {
    if cx.as_context().data().kernel().is_managed(offset, length) {
        set_input(cx, Region { offset, length });
    }
}

/// `output_set`: declares the output region, if it lies inside the managed area.
pub(crate) fn output_set(kernel: &mut Kernel, offset: u64, length: u64) {
    if kernel.is_managed(offset, length) {
        kernel.output = Region { offset, length };
    }
}

/// `error_set`: makes block `handle` the call's error; 0 clears it.
pub(crate) fn error_set(kernel: &mut Kernel, handle: u64) {
    if handle == 0 || kernel.is_managed(handle, 1) {
        kernel.error = handle;
    }
}

/// Releases every block and zeroes the input, output and error records.
pub(crate) fn reset<T: HasKernel + 'static>(mut cx: impl AsContextMut<Data = T>) {
    cx.as_context_mut().data_mut().kernel_mut().clear();
    set_input(cx, Region::default());
}

/// Size of Extism memory in bytes.
pub(crate) fn memory_bytes<T: HasKernel + 'static>(cx: impl AsContext<Data = T>) -> u64 {
    let cx = cx.as_context();
    cx.data()
        .kernel()
        .instance
        .map_or(0, |k| memory_size(&cx, k.memory))
}

/// Resets Extism memory and copies `input` into a new block recorded as the call's input.
pub(crate) fn begin_call<T: HasKernel + 'static>(
    mut cx: impl AsContextMut<Data = T>,
    input: &[u8],
) -> wasmtime::Result<()> {
    cx.as_context_mut().data_mut().kernel_mut().clear();
    if input.is_empty() {
        set_input(&mut cx, Region::default());
        return Ok(());
    }
    let handle = alloc(&mut cx, input.len() as u64)?;
    if handle == 0 {
        return Err(wasmtime::Error::msg(format!(
            "unable to allocate {} bytes of Extism memory for the input",
            input.len()
        )));
    }
    write(&mut cx, handle, input);
    set_input(
        &mut cx,
        Region {
            offset: handle,
            length: input.len() as u64,
        },
    );
    Ok(())
}

/// The bytes of `region`, if it lies inside Extism memory.
pub(crate) fn bytes<T: HasKernel + 'static>(
    cx: &impl AsContext<Data = T>,
    region: Region,
) -> Option<&[u8]> {
    let instance = cx.as_context().data().kernel().instance?;
    let start = usize::try_from(region.offset).ok()?;
    let end = start.checked_add(usize::try_from(region.length).ok()?)?;
    instance.memory.data(cx).get(start..end)
}

/// The bytes of the live block at `handle` (empty for 0), or `None` for an invalid handle.
pub(crate) fn block<T: HasKernel + 'static>(
    cx: &impl AsContext<Data = T>,
    handle: u64,
) -> Option<&[u8]> {
    if handle == 0 {
        return Some(&[]);
    }
    let kernel = cx.as_context().data().kernel();
    if !kernel.is_live(handle) {
        return None;
    }
    let length = kernel.length(handle);
    bytes(
        cx,
        Region {
            offset: handle,
            length,
        },
    )
}

/// Copies `data` to Extism memory at `offset`; out-of-range writes are dropped.
fn write<T: HasKernel + 'static>(cx: &mut impl AsContextMut<Data = T>, offset: u64, data: &[u8]) {
    let Some(instance) = cx.as_context().data().kernel().instance else {
        return;
    };
    let Ok(start) = usize::try_from(offset) else {
        return;
    };
    if let Some(dest) = instance
        .memory
        .data_mut(&mut *cx)
        .get_mut(start..start.saturating_add(data.len()))
    {
        dest.copy_from_slice(data);
    }
}

/// Copies `data` into a new block and returns its handle; 0 for empty data.
pub(crate) fn alloc_bytes<T: HasKernel + 'static>(
    mut cx: impl AsContextMut<Data = T>,
    data: &[u8],
) -> wasmtime::Result<u64> {
    if data.is_empty() {
        return Ok(0);
    }
    let handle = alloc(&mut cx, data.len() as u64)?;
    if handle == 0 {
        return Err(wasmtime::Error::msg(format!(
            "unable to allocate {} bytes of Extism memory",
            data.len()
        )));
    }
    write(&mut cx, handle, data);
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Engine, GlobalType, MemoryType, Mutability, Store};

    /// A store's data with nothing but a kernel.
    struct Bare(Kernel);

    impl HasKernel for Bare {
        fn kernel(&self) -> &Kernel {
            &self.0
        }

        fn kernel_mut(&mut self) -> &mut Kernel {
            &mut self.0
        }
    }

    /// A store whose kernel has a one-page memory and input globals of its own.
    fn store() -> Store<Bare> {
        let mut store = Store::new(&Engine::default(), Bare(Kernel::default()));
        let memory = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
        let global = GlobalType::new(wasmtime::ValType::I64, Mutability::Var);
        let input_offset = Global::new(&mut store, global.clone(), Val::I64(0)).unwrap();
        let input_length = Global::new(&mut store, global, Val::I64(0)).unwrap();
        store.data_mut().0.attach(KernelInstance {
            memory,
            input_offset,
            input_length,
        });
        store
    }

    #[test]
    fn a_freed_block_is_not_reused_while_the_area_has_room() {
        let mut store = store();
        let key = alloc(&mut store, 8).unwrap();
        free(&mut store, key);
        let value = alloc(&mut store, 8).unwrap();
        assert_ne!(value, key, "the value landed in the block just freed");
        // A second free of the dead handle leaves the new block alone.
        free(&mut store, key);
        assert_eq!(store.data().0.length(value), 8);
        assert_eq!(block(&store, value).map(<[u8]>::len), Some(8));
    }

    #[test]
    fn freed_blocks_are_reused_once_the_area_is_full() {
        let mut store = store();
        for i in 0..10_000u64 {
            let size = 1 + (i * 37) % 5000;
            let handle = alloc(&mut store, size).unwrap();
            assert_ne!(handle, 0, "allocation {i} of {size} bytes failed");
            write(&mut store, handle, &[1]);
            free(&mut store, handle);
        }
        assert_eq!(
            memory_bytes(&store),
            PAGE,
            "memory grew under alloc/free churn"
        );
    }

    #[test]
    fn adjacent_free_blocks_merge_under_pressure() {
        let mut store = store();
        // Fill the page with 1 KiB blocks, free them all, then ask for 32 KiB: only merged
        // neighbours can serve it without growing.
        let mut handles = Vec::new();
        while store.data().0.top + 1024 <= PAGE {
            handles.push(alloc(&mut store, 1024).unwrap());
        }
        assert!(handles.len() > 60, "{} blocks", handles.len());
        for handle in handles {
            free(&mut store, handle);
        }
        let big = alloc(&mut store, 32 * 1024).unwrap();
        assert_ne!(big, 0);
        assert_eq!(memory_bytes(&store), PAGE, "memory grew instead of merging");
    }

    #[test]
    fn input_output_and_error_records() {
        let mut store = store();
        begin_call(&mut store, b"hello").unwrap();
        let input = store.data().0.input;
        assert_eq!(bytes(&store, input), Some(&b"hello"[..]));
        // Regions outside the allocator's area are refused.
        output_set(&mut store.data_mut().0, PAGE - 4, 8);
        assert_eq!(store.data().0.output, Region::default());
        output_set(&mut store.data_mut().0, input.offset, 5);
        assert_eq!(store.data().0.output, input);
        error_set(&mut store.data_mut().0, input.offset);
        assert_eq!(store.data().0.error, input.offset);
        // Freeing the input block empties the input.
        free(&mut store, input.offset);
        assert_eq!(store.data().0.input, Region::default());
        // A new call starts from an empty area.
        begin_call(&mut store, b"").unwrap();
        assert_eq!(store.data().0.top, HEAP_START);
        assert_eq!(store.data().0.error, 0);
    }

    #[test]
    fn allocation_grows_the_memory_when_nothing_fits() {
        let mut store = store();
        let big = alloc(&mut store, 100_000).unwrap();
        assert_ne!(big, 0);
        assert_eq!(memory_bytes(&store), 2 * PAGE);
        assert_eq!(block(&store, big).map(<[u8]>::len), Some(100_000));
        assert_eq!(alloc(&mut store, 0).unwrap(), 0);
    }
}
