//! Room on the native stack for guest code.
//!
//! wasmtime lets wasm use [`WASM_STACK`] bytes of the stack it is entered on and turns deeper
//! recursion into a trap. On a thread with less stack than that (secondary threads on macOS,
//! musl's 128 KiB default, `ulimit -s 512`), the guest would run into the thread's guard page
//! first, and the host process would die of SIGSEGV. Cranelift, which compiles partly on the
//! calling thread, needs more than 128 KiB as well. So every entry into wasm (a call, creating
//! a plugin's store) and every compilation goes through [`with_room`]: when the calling thread
//! has less than [`NEEDED`] bytes of stack left, the work runs on a stack of [`OWN_STACK`] bytes
//! that this module keeps for the thread, on the same thread, so host functions still run on
//! the caller's thread (with its thread-locals, locks and thread id). Threads with enough room
//! pay a thread-local read and a comparison.
//!
//! User code never runs on a kept stack: every callback into the host (host functions, log
//! callbacks) goes through [`on_caller_stack`], which switches back to the stack the call came
//! in on, just below the frames it left there, for the callback's duration. Language runtimes
//! check that their code runs inside their own thread's stack (the JVM's stack banging and
//! guard zones, Ruby's stack-depth check and its conservative scan of the machine stack), so a
//! callback run on a stack of ours would fail there; on the caller's stack it has exactly the
//! room it would have had if the guest had run there too.
//!
//! At fork: the child's only thread is a copy of the forking one, with its thread-locals and
//! its kept stack (the mapping is copied with the process), so nothing needs resetting. On
//! failure: a stack that cannot be mapped fails only the call that needed it.

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::error::{Error, Result};

/// The stack wasm code may use below its entry: wasmtime's `max_wasm_stack`.
pub(crate) const WASM_STACK: usize = 512 * 1024;
/// The room a call needs left on the stack it starts on: the wasm stack, and what host
/// functions called by the deepest wasm frame may use.
const NEEDED: usize = WASM_STACK + 512 * 1024;
/// The size of a stack kept for calls from threads with less room than [`NEEDED`].
const OWN_STACK: usize = 2 * 1024 * 1024;
/// The inaccessible area below a kept stack, so that an overflow faults instead of writing
/// over other memory.
const GUARD: usize = 64 * 1024;

thread_local! {
    /// The lowest address this thread's current stack may use; 0 until first needed,
    /// `usize::MAX` when it cannot be known (calls then always run on a kept stack).
    static STACK_LOW: Cell<usize> = const { Cell::new(0) };
    /// The stack kept for this thread; `None` before its first use and while a call runs on it.
    static SPARE: Cell<Option<Stack>> = const { Cell::new(None) };
    /// While code runs on a kept stack: the stack the call came in on, as the lowest address
    /// it may use and the address below the frames the call left there. User callbacks run
    /// between the two ([`on_caller_stack`]).
    static CALLER: Cell<Option<CallerStack>> = const { Cell::new(None) };
}

/// The part of the calling thread's own stack that is free while a call runs on a kept stack.
#[derive(Clone, Copy)]
struct CallerStack {
    low: usize,
    top: usize,
}

/// Room left below the stack pointer read in [`on_kept_stack`] for the frames that `psm`
/// pushes on the caller's stack before switching (its closure and return value, saved
/// registers) and the x86-64 red zone.
const SWITCH_FRAMES: usize = 8 * 1024;
/// When a thread's stack bounds are unknown, the room a callback is assumed to have below
/// the call's frames (only the top of a stack matters for the switch itself).
const UNKNOWN_ROOM: usize = 64 * 1024;

/// Runs `f`, which may enter wasm, where the stack has room for it: on the current stack when
/// [`NEEDED`] bytes are left, otherwise on this thread's kept stack. A panic in `f` resumes on
/// the caller's stack. Fails only when a new stack cannot be mapped.
#[inline]
pub(crate) fn with_room<R>(f: impl FnOnce() -> R) -> Result<R> {
    let here = psm::stack_pointer() as usize;
    let low = match STACK_LOW.try_with(Cell::get) {
        Ok(0) => {
            let low = thread_stack_low().unwrap_or(usize::MAX);
            // Ignored when thread-locals are being destroyed: the next call looks again.
            let _ = STACK_LOW.try_with(|cell| cell.set(low));
            low
        }
        Ok(low) => low,
        Err(_) => usize::MAX,
    };
    if here.saturating_sub(low) >= NEEDED {
        return Ok(f());
    }
    on_kept_stack(f)
}

#[cold]
#[inline(never)]
fn on_kept_stack<R>(f: impl FnOnce() -> R) -> Result<R> {
    let stack = match SPARE.try_with(Cell::take) {
        Ok(Some(stack)) => stack,
        // None: first use on this thread, or a host function of a call already on the kept
        // stack calls another plugin with too little room left.
        _ => Stack::map()?,
    };
    let outer_low = STACK_LOW.try_with(|low| low.replace(stack.low())).ok();
    let switch_data = std::mem::size_of_val(&f) + std::mem::size_of::<std::thread::Result<R>>();
    let caller = caller_stack(outer_low.unwrap_or(usize::MAX), switch_data);
    let outer_caller = CALLER.try_with(|cell| cell.replace(caller)).ok();
    // SAFETY: `stack.low()..stack.low() + OWN_STACK` is a readable and writable mapping
    // owned by `stack`, which outlives this call; both ends are page-aligned, which meets
    // every target's stack alignment; a guard area sits below it. The callback cannot unwind:
    // `catch_unwind` stops any panic, which resumes below, back on the caller's stack.
    let result = unsafe {
        psm::on_stack(stack.low() as *mut u8, OWN_STACK, || {
            catch_unwind(AssertUnwindSafe(f))
        })
    };
    if let Some(caller) = outer_caller {
        let _ = CALLER.try_with(|cell| cell.set(caller));
    }
    if let Some(low) = outer_low {
        let _ = STACK_LOW.try_with(|cell| cell.set(low));
    }
    // Keep one stack per thread; one left by a nested call is unmapped instead.
    let _ = SPARE.try_with(|spare| spare.replace(Some(stack)));
    match result {
        Ok(value) => Ok(value),
        Err(payload) => resume_unwind(payload),
    }
}

/// The free part of the current stack below this frame, less [`SWITCH_FRAMES`] and the
/// `switch_data` bytes the switch keeps on it; `None` when nothing is left (a callback then
/// runs where it is called).
#[inline(always)]
fn caller_stack(low: usize, switch_data: usize) -> Option<CallerStack> {
    let top =
        (psm::stack_pointer() as usize).checked_sub(SWITCH_FRAMES.checked_add(switch_data)?)? & !15;
    let low = if low == usize::MAX {
        top.saturating_sub(UNKNOWN_ROOM)
    } else {
        low
    };
    (top > low).then_some(CallerStack { low, top })
}

/// Runs `f`, which calls user code (a host function, a log callback), on the stack of the
/// thread's own that the current call came in on, when the call runs on a kept stack; runs it
/// in place otherwise. A panic in `f` resumes where this was called.
#[inline]
pub(crate) fn on_caller_stack<R>(f: impl FnOnce() -> R) -> R {
    match CALLER.try_with(Cell::take) {
        Ok(Some(caller)) => back_on_caller_stack(caller, f),
        _ => f(),
    }
}

#[cold]
#[inline(never)]
fn back_on_caller_stack<R>(caller: CallerStack, f: impl FnOnce() -> R) -> R {
    // A plugin called from `f` measures its room on the caller's stack again.
    let kept_low = STACK_LOW.try_with(|low| low.replace(caller.low)).ok();
    memory_checker::stack_in_use(caller.low, caller.top);
    // SAFETY: `caller.low..caller.top` is the part of this thread's own stack below every
    // frame that was live when the call switched to the kept stack; nothing uses it while the
    // call runs there (the caller's frames are above `top`, `psm`'s below-`top` data is kept
    // clear by `SWITCH_FRAMES`), and `top` is 16-byte aligned. The callback cannot unwind:
    // `catch_unwind` stops any panic, which resumes below, back on the kept stack.
    let result = unsafe {
        psm::on_stack(caller.low as *mut u8, caller.top - caller.low, || {
            catch_unwind(AssertUnwindSafe(f))
        })
    };
    if let Some(low) = kept_low {
        let _ = STACK_LOW.try_with(|cell| cell.set(low));
    }
    let _ = CALLER.try_with(|cell| cell.set(Some(caller)));
    match result {
        Ok(value) => value,
        Err(payload) => resume_unwind(payload),
    }
}

/// Telling a memory checker running the process (valgrind's memcheck) that stack memory the
/// callback is about to use is usable: it marks what lies below a thread's stack pointer as
/// inaccessible, and takes a jump of the stack pointer from a kept stack to the caller's for
/// a switch to another stack, so it would see the callback's frames as invalid writes.
/// Natively the client request below is a no-op instruction sequence.
mod memory_checker {
    /// Marks `low..top` as addressable, contents undefined, when running under valgrind.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    pub(super) fn stack_in_use(low: usize, top: usize) {
        /// memcheck's `VALGRIND_MAKE_MEM_UNDEFINED`: `VG_USERREQ_TOOL_BASE('M', 'C') + 1`.
        const MAKE_MEM_UNDEFINED: u64 = ((b'M' as u64) << 24 | (b'C' as u64) << 16) + 1;
        let request: [u64; 6] = [MAKE_MEM_UNDEFINED, low as u64, (top - low) as u64, 0, 0, 0];
        let mut result: u64 = 0;
        // SAFETY: valgrind's client-request sequence: the four rotations of rdi add up to 128
        // bits and `xchg rbx, rbx` exchanges a register with itself, so natively nothing
        // changes; under valgrind it reads `request` (through rax) and writes rdx.
        unsafe {
            std::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                in("rax") request.as_ptr(),
                inout("rdx") result,
                out("rdi") _,
                options(nostack),
            );
        }
        let _ = result;
    }

    /// Other targets: no memory checker is told anything.
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    pub(super) fn stack_in_use(_low: usize, _top: usize) {}
}

/// The lowest usable address of the calling thread's stack.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn thread_stack_low() -> Option<usize> {
    main_thread_stack_low().or_else(pthread_stack_low)
}

/// The main thread's stack bottom from its top and `RLIMIT_STACK`, as glibc computes it, but
/// without the read of `/proc/self/maps` that makes `pthread_getattr_np` take 50-100 µs there.
/// The limit covers the whole stack mapping, the arguments, environment and auxiliary vector
/// at its top included, so the bottom is the mapping's end less the limit. (glibc also lowers
/// the size to the gap above the next mapping below; the kernel keeps mappings at least the
/// limit away from the stack, so that gap is not smaller.) `None` on other threads and without
/// a finite limit.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn main_thread_stack_low() -> Option<usize> {
    // The raw system call: glibc has a `gettid` wrapper only from 2.30 on, and the release
    // library must load on glibc 2.17 (scripts/portable-cargo.sh).
    // SAFETY: `gettid` and `getpid` have no preconditions.
    if unsafe { libc::syscall(libc::SYS_gettid) != libc::c_long::from(libc::getpid()) } {
        return None;
    }
    let mut limit = std::mem::MaybeUninit::<libc::rlimit>::uninit();
    // SAFETY: `limit` is a valid out-parameter, read only when `getrlimit` succeeds.
    let limit = unsafe {
        if libc::getrlimit(libc::RLIMIT_STACK, limit.as_mut_ptr()) != 0 {
            return None;
        }
        limit.assume_init().rlim_cur
    };
    if limit == libc::RLIM_INFINITY {
        return None;
    }
    main_stack_mapping_end()?.checked_sub(usize::try_from(limit).ok()?)
}

/// The end of the main thread's stack mapping. At `execve` the kernel copies the program's
/// file name (`AT_EXECFN`) to the very top of the new stack, a pointer's width below the end
/// of the mapping, and the arguments and environment below it, so the end is the page
/// boundary that follows that name.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn main_stack_mapping_end() -> Option<usize> {
    // SAFETY: `getauxval` only reads the auxiliary vector.
    let name = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const libc::c_char;
    if name.is_null() {
        return None;
    }
    // SAFETY: AT_EXECFN points to a NUL-terminated string the kernel placed on the stack,
    // which stays mapped for the life of the process.
    let len = unsafe { libc::strlen(name) };
    let end = (name as usize).checked_add(len + 1)?;
    (end | 4095).checked_add(1)
}

/// Without glibc the main thread is looked up like any other.
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(all(target_os = "linux", target_env = "gnu"))
))]
fn main_thread_stack_low() -> Option<usize> {
    None
}

/// The lowest usable address of the calling thread's stack, from `pthread_getattr_np`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn pthread_stack_low() -> Option<usize> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `pthread_getattr_np` initialises `attr` when it returns 0, and only then is it
    // read and destroyed; `addr` and `size` are valid out-parameters.
    unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return None;
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        let rc = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size);
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        (rc == 0 && size > 0).then_some(addr as usize)
    }
}

/// Elsewhere the bounds are not looked up, and every call runs on a kept stack.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn thread_stack_low() -> Option<usize> {
    None
}

/// A stack of [`OWN_STACK`] bytes above a [`GUARD`] area, in one anonymous mapping.
struct Stack {
    mapping: NonNull<libc::c_void>,
}

impl Stack {
    fn map() -> Result<Self> {
        let len = GUARD + OWN_STACK;
        // SAFETY: a new private anonymous mapping that overlaps nothing; the result is checked.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        let mapping = NonNull::new(start)
            .filter(|_| start != libc::MAP_FAILED)
            .ok_or_else(|| no_stack("mmap"))?;
        let stack = Stack { mapping };
        // SAFETY: the range lies inside the mapping just made, and starts on a page boundary.
        let rc = unsafe {
            libc::mprotect(
                stack.low() as *mut libc::c_void,
                OWN_STACK,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if rc != 0 {
            return Err(no_stack("mprotect"));
        }
        Ok(stack)
    }

    /// The lowest address of the usable part.
    fn low(&self) -> usize {
        self.mapping.as_ptr() as usize + GUARD
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `Stack::map` with this length and nothing runs on
        // it any more: a stack is dropped only after `psm::on_stack` has returned.
        unsafe {
            libc::munmap(self.mapping.as_ptr(), GUARD + OWN_STACK);
        }
    }
}

fn no_stack(call: &str) -> Error {
    Error::msg(format!(
        "the calling thread has less than {} KiB of stack left for the plugin, and no stack \
         of its own could be made for the call ({call}: {})",
        NEEDED / 1024,
        std::io::Error::last_os_error()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn the_main_thread_stack_ends_where_its_mapping_ends() {
        // Tests run on other threads: the main thread's estimate is not used here...
        assert_eq!(main_thread_stack_low(), None);
        // ... and the end the limit is counted from is the end of the stack mapping, above
        // the environment and the arguments, not glibc's stack end below them.
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let line = maps.lines().find(|l| l.ends_with("[stack]")).unwrap();
        let range = line.split_whitespace().next().unwrap();
        let end = usize::from_str_radix(range.split_once('-').unwrap().1, 16).unwrap();
        assert_eq!(main_stack_mapping_end(), Some(end), "stack mapping {range}");
    }

    #[test]
    fn a_thread_with_room_runs_in_place() {
        let here = psm::stack_pointer() as usize;
        let inside = with_room(|| psm::stack_pointer() as usize).unwrap();
        assert!(
            here.abs_diff(inside) < 64 * 1024,
            "moved from {here:#x} to {inside:#x}"
        );
    }

    #[test]
    fn a_small_thread_runs_on_the_kept_stack_and_reuses_it() {
        std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(|| {
                let thread = std::thread::current().id();
                let (sp, id) =
                    with_room(|| (psm::stack_pointer() as usize, std::thread::current().id()))
                        .unwrap();
                assert_eq!(id, thread);
                let own_low = STACK_LOW.with(Cell::get);
                assert!(own_low != 0 && own_low != usize::MAX);
                let low = SPARE.with(|spare| {
                    let stack = spare.take().unwrap();
                    let low = stack.low();
                    spare.set(Some(stack));
                    low
                });
                assert!((low..low + OWN_STACK).contains(&sp));
                // The same stack serves the next call, and panics come back as panics.
                let again = with_room(|| psm::stack_pointer() as usize).unwrap();
                assert!((low..low + OWN_STACK).contains(&again));
                let panicked = catch_unwind(|| with_room(|| -> () { std::panic::panic_any(7_u8) }));
                assert_eq!(panicked.unwrap_err().downcast_ref::<u8>(), Some(&7));
                assert_eq!(STACK_LOW.with(Cell::get), own_low);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
