//! Linear memories for the serving engines (`engine::serving`), which run the plugins made from
//! a compiled plugin: the per-request path, where a server makes a fresh plugin for every
//! request and frees it after one call.
//!
//! A plugin's memories grow during its calls (the allocators of the Rust, Go, Zig and C PDKs
//! grow the memory at their first allocation in a fresh instance). With guard pages bounding
//! memory accesses, every growth makes pages accessible with `mprotect`, and every reuse of the
//! memory's address range makes them inaccessible again; and a freed memory gives its pages
//! back with `madvise`. Each of those changes the memory map, which in a process with threads
//! on other CPUs interrupts each of those CPUs (a TLB shootdown): the cost grows with the
//! cores. The serving engines therefore check every access against the memory's current size
//! instead (with the same Spectre mitigation as guard pages have), and their memories come from
//! here:
//!
//! - Each memory reserves [`RESERVATION`] bytes of address space, inaccessible, and makes pages
//!   accessible as it grows, never less accessible: a memory that grows no further than an
//!   earlier one in the same reservation makes no system call.
//! - A freed memory is reset and kept for the next one (up to [`idle_cap`] are kept). A memory
//!   of [`FALLBACK_KEEP_RESIDENT`] bytes or less is zeroed whole. A larger one's reset
//!   asks the kernel which pages hold anything (the `PAGEMAP_SCAN` ioctl of
//!   `/proc/self/pagemap`, Linux 6.7 and later: pages present or swapped out, other than the
//!   shared zero page) and zeroes those in place, up to [`KEEP_RESIDENT`] bytes; the rest, if
//!   any, is released with `madvise`. Pages in swap are found too, and zeroing them brings them
//!   back in, so no byte of a previous plugin is left for the next. Without the ioctl, the first
//!   [`FALLBACK_KEEP_RESIDENT`] bytes are zeroed and the rest released.
//!
//! In steady state a fresh plugin per request then costs at most one ioctl per memory and no
//! change to the memory map.
//!
//! Each thread keeps up to [`STASHED_PER_THREAD`] freed memories for itself and takes from them
//! first, so that threads serving requests side by side share no lock for them; the rest go to
//! a process-wide list.
//!
//! At fork: the process-wide list and the pagemap descriptor belong to one process
//! ([`PerProcess`]): a child starts with an empty list and opens its own descriptor at its
//! first reset (an inherited one would describe the parent's pages). The parent's kept
//! memories stay mapped in the child, unused, except the forking thread's stash, which the
//! child's thread keeps using (its memories are mapped and reset in the child too).
//!
//! A kept memory is always taken before a new one is reserved, so the address space reserved
//! is that of the most memories live at once, plus what other threads' stashes hold. Under an
//! address-space limit (`ulimit -v`) threads keep no stash, so that memories one thread kept
//! never stop another from getting one.
//!
//! On failure: a reservation that cannot be made fails that instantiation with the system's
//! error; a reset that cannot be completed unmaps the memory instead of keeping it.

use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::{LinearMemory, MemoryCreator, MemoryType};

use crate::process::PerProcess;

/// Address space each memory reserves: every 32-bit memory can grow to its 4 GiB in place.
pub(crate) const RESERVATION: usize = 4 << 30;
/// Bytes of a freed memory's written pages that are zeroed in place; past them, the rest of the
/// memory is released. Zeroing a page costs less than the page fault that brings a released
/// one back, so this is generous; it bounds what a kept memory holds resident.
const KEEP_RESIDENT: usize = 1 << 20;
/// Without `PAGEMAP_SCAN`: bytes zeroed at the start of a freed memory, the rest released.
/// Also the size up to which a freed memory is zeroed whole rather than scanned: `memset` of
/// 64 KiB costs less than the ioctl (about a microsecond), and keeps at most this much resident.
const FALLBACK_KEEP_RESIDENT: usize = 64 << 10;
/// Kept memories per CPU online, and the fewest kept whatever the CPUs: each request in flight
/// uses two (Extism memory and the plugin's own).
const IDLE_PER_CPU: usize = 4;
const MIN_IDLE: usize = 16;
/// Kept memories each thread holds for itself before the process-wide list: one plugin's two,
/// and as many again.
const STASHED_PER_THREAD: usize = 4;

thread_local! {
    /// Reset memories this thread gave back, taken again first by this thread. Unmapped when
    /// the thread ends. At fork, the forking thread's stash is the child's: the regions are
    /// mapped there too, and already reset.
    static STASH: std::cell::RefCell<Vec<Region>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The memory creator of the serving engines.
pub(crate) struct Memories;

// SAFETY: every memory it makes owns a reservation of its own, zeroed (fresh, or reset by
// `Region::reset` before it was kept), and accessible for at least its size; growth never moves
// it (see `Memory`).
unsafe impl MemoryCreator for Memories {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        _maximum: Option<usize>,
        _reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>, String> {
        // Compiled code of the serving engines checks accesses against the current size; one
        // that expected guard pages would be misconfigured, and is refused rather than run.
        if guard_size_in_bytes != 0 {
            return Err(format!(
                "a serving memory has no guard region ({guard_size_in_bytes} bytes asked)"
            ));
        }
        let mut region = take(minimum)
            .map_err(|e| format!("unable to reserve a linear memory of {minimum} bytes: {e}"))?;
        region
            .make_accessible(minimum)
            .map_err(|e| format!("unable to allocate a linear memory of {minimum} bytes: {e}"))?;
        Ok(Box::new(Memory {
            region: ManuallyDrop::new(region),
            size: minimum,
        }))
    }
}

/// One linear memory: its size, within a region that is accessible at least that far.
struct Memory {
    /// Given back (not dropped) when the memory is dropped.
    region: ManuallyDrop<Region>,
    size: usize,
}

// SAFETY: the base never moves; `byte_capacity` is the reservation, and `grow_to` makes the
// pages up to the new size accessible (fresh pages read as zero) before reporting it.
unsafe impl LinearMemory for Memory {
    fn byte_size(&self) -> usize {
        self.size
    }

    fn byte_capacity(&self) -> usize {
        self.region.reserved
    }

    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        if new_size > self.region.reserved {
            wasmtime::bail!("memory would grow past its reservation");
        }
        self.region.make_accessible(new_size)?;
        self.size = new_size;
        Ok(())
    }

    fn as_ptr(&self) -> *mut u8 {
        self.region.base.as_ptr()
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: taken once, here, and the field is not used after.
        let region = unsafe { ManuallyDrop::take(&mut self.region) };
        give_back(region, self.size);
    }
}

/// A reservation of address space, accessible (read-write) from its start for `accessible`
/// bytes and inaccessible after that. Unmapped when dropped.
struct Region {
    base: NonNull<u8>,
    reserved: usize,
    accessible: usize,
}

// SAFETY: a region is the only owner of its mapping; nothing in it is tied to a thread.
unsafe impl Send for Region {}
// SAFETY: as for `Send`; shared references only read the fields.
unsafe impl Sync for Region {}

impl Region {
    /// A fresh reservation of `reserved` bytes (a multiple of the page size), none accessible.
    fn reserve(reserved: usize) -> std::io::Result<Region> {
        // SAFETY: a new private anonymous mapping at an address the kernel picks.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                reserved,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let Some(base) = NonNull::new(base.cast::<u8>()) else {
            return Err(std::io::Error::other("mmap returned a null address"));
        };
        // Transparent huge pages would make one written byte a resident 2 MiB page to zero at
        // every reset. Advice only: a kernel without them refuses it harmlessly.
        // SAFETY: the range is the mapping just made.
        unsafe {
            libc::madvise(base.as_ptr().cast(), reserved, libc::MADV_NOHUGEPAGE);
        }
        Ok(Region {
            base,
            reserved,
            accessible: 0,
        })
    }

    /// Makes the region accessible for at least `len` bytes (at most `reserved`).
    fn make_accessible(&mut self, len: usize) -> std::io::Result<()> {
        let len = round_up_to_page(len).min(self.reserved);
        if len <= self.accessible {
            return Ok(());
        }
        // SAFETY: the range lies inside this region's mapping.
        let result = unsafe {
            libc::mprotect(
                self.base.as_ptr().add(self.accessible).cast(),
                len - self.accessible,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if result != 0 {
            return Err(std::io::Error::last_os_error());
        }
        self.accessible = len;
        Ok(())
    }

    /// Zeroes the first `used` bytes, all that a memory of that size can have written since
    /// the region was last reset (compiled code and the host reach no further than a
    /// memory's size, and a memory never shrinks): written pages in place (up to
    /// [`KEEP_RESIDENT`] bytes of them), the rest released. False when it could not be done;
    /// the region must not be used again then.
    fn reset(&mut self, used: usize) -> bool {
        let used = round_up_to_page(used).min(self.accessible);
        let start = self.base.as_ptr() as usize;
        let end = start + used;
        if used <= FALLBACK_KEEP_RESIDENT {
            // SAFETY: inside the accessible part, which nothing else uses while it is reset.
            unsafe { std::ptr::write_bytes(self.base.as_ptr(), 0, used) };
            return true;
        }
        match zero_written_pages(start, end, KEEP_RESIDENT) {
            Ok(None) => true,
            Ok(Some(rest)) => release(rest, end),
            Err(from) => {
                let keep = FALLBACK_KEEP_RESIDENT.min(end - from);
                // SAFETY: `from..end` lies inside this region's accessible part, and nothing
                // else uses the region while it is reset.
                unsafe { std::ptr::write_bytes(from as *mut u8, 0, keep) };
                release(from + keep, end)
            }
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the mapping is this region's own, and nothing uses it any more.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.reserved);
        }
    }
}

/// Releases the pages of `start..end` (page-aligned, inside an accessible region), which then
/// read as zero. True when done (or empty).
fn release(start: usize, end: usize) -> bool {
    if start >= end {
        return true;
    }
    // SAFETY: the range lies inside an accessible region that nothing else uses.
    unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) == 0 }
}

fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf only reads system configuration.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size).unwrap_or(4096)
    })
}

fn round_up_to_page(len: usize) -> usize {
    let page = page_size();
    len.checked_next_multiple_of(page)
        .unwrap_or(usize::MAX - page + 1)
}

/// The memories kept for reuse in this process, behind a pthread mutex (which race detectors
/// such as helgrind see, as they do not see std's futex-based locks: a region handed from one
/// thread to another through this list would otherwise look like a race on its pages).
struct Idle {
    lock: std::cell::UnsafeCell<libc::pthread_mutex_t>,
    kept: std::cell::UnsafeCell<Kept>,
}

/// What [`Idle`]'s lock guards.
struct Kept {
    regions: Vec<Region>,
    /// How many regions are kept at most.
    cap: usize,
}

// SAFETY: `kept` is only reached through `Idle::with`, under the mutex.
unsafe impl Sync for Idle {}
// SAFETY: the mutex is not tied to a thread while unlocked (it is only moved before first use),
// and the regions are `Send`.
unsafe impl Send for Idle {}

impl Idle {
    /// Runs `f` on the kept regions, under the lock; unlocked however `f` ends.
    fn with<R>(&self, f: impl FnOnce(&mut Kept) -> R) -> R {
        struct Unlock<'a>(&'a Idle);
        impl Drop for Unlock<'_> {
            fn drop(&mut self) {
                // SAFETY: locked by this thread in `with`.
                unsafe { libc::pthread_mutex_unlock(self.0.lock.get()) };
            }
        }
        // SAFETY: a default mutex, initialised statically, never destroyed; locked here and
        // unlocked by `Unlock` on the same thread.
        unsafe { libc::pthread_mutex_lock(self.lock.get()) };
        let _unlock = Unlock(self);
        // SAFETY: the lock is held, so no other reference to `kept` exists.
        let kept = unsafe { &mut *self.kept.get() };
        // The cap is set under the lock, by the first thread to look, so that every thread
        // reads it after a lock (and a race detector sees why the value is there).
        if kept.cap == 0 {
            kept.cap = idle_cap();
        }
        f(kept)
    }
}

static IDLE: PerProcess<Idle> = PerProcess::new();

fn idle() -> &'static Idle {
    let started = IDLE.get_or_start(|| {
        let idle = Idle {
            lock: std::cell::UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
            kept: std::cell::UnsafeCell::new(Kept {
                regions: Vec::new(),
                cap: 0,
            }),
        };
        Ok::<_, std::convert::Infallible>(idle)
    });
    match started {
        Ok(idle) => idle,
        Err(never) => match never {},
    }
}

/// How many freed memories a process keeps: [`IDLE_PER_CPU`] per CPU online, at least
/// [`MIN_IDLE`].
fn idle_cap() -> usize {
    // SAFETY: sysconf only reads system configuration.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(cpus)
        .unwrap_or(1)
        .saturating_mul(IDLE_PER_CPU)
        .max(MIN_IDLE)
}

/// A region for a memory of `minimum` bytes: a kept one when there is one, else a new
/// reservation. Of the kept ones, the one accessible least far but far enough (so a memory that
/// grows as far as the previous user of its region did makes no system call, and a small one
/// does not take a large region whose reset would cost more), or else the one accessible
/// farthest.
fn take(minimum: usize) -> std::io::Result<Region> {
    if minimum > RESERVATION {
        // A memory64 memory larger than any kept one (a large `max_pages` budget allows it):
        // a reservation of its own, not kept after it.
        return Region::reserve(round_up_to_page(minimum));
    }
    let wanted = round_up_to_page(minimum);
    let stashed = STASH
        .try_with(|stash| best_fit(&mut stash.borrow_mut(), wanted))
        .ok()
        .flatten();
    let kept = stashed.or_else(|| idle().with(|kept| best_fit(&mut kept.regions, wanted)));
    match kept {
        Some(region) => Ok(region),
        None => Region::reserve(RESERVATION),
    }
}

/// Takes from `regions` the one that suits a memory of `wanted` bytes best (see [`take`]).
fn best_fit(regions: &mut Vec<Region>, wanted: usize) -> Option<Region> {
    let best = regions
        .iter()
        .enumerate()
        .min_by_key(|(_, region)| {
            let fits = region.accessible >= wanted;
            // Fitting ones first, least accessible first; then the others, most first.
            (
                !fits,
                if fits {
                    region.accessible
                } else {
                    usize::MAX - region.accessible
                },
            )
        })
        .map(|(index, _)| index)?;
    Some(regions.swap_remove(best))
}

/// Resets a freed memory's region (of which it used `used` bytes) and keeps it, or unmaps it
/// when it cannot be reset, is not of the kept size, or enough are kept already.
fn give_back(mut region: Region, used: usize) {
    if region.reserved != RESERVATION || !region.reset(used) {
        return;
    }
    // The calling thread's own stash first: a thread that makes and frees plugins one after
    // another then takes no lock for its memories.
    let mut region = Some(region);
    // When the thread is ending and its stash is gone, `region` is left for the process-wide
    // list.
    if stashes() {
        let _ = STASH.try_with(|stash| {
            let mut stash = stash.borrow_mut();
            if stash.len() < STASHED_PER_THREAD {
                stash.extend(region.take());
            }
        });
    }
    if let Some(region) = region {
        keep(region);
    }
}

/// Keeps a reset region in the process-wide list, or unmaps it when enough are kept already.
fn keep(region: Region) {
    let unwanted = idle().with(|kept| {
        if kept.regions.len() < kept.cap {
            kept.regions.push(region);
            None
        } else {
            Some(region)
        }
    });
    // Unmapped outside the lock.
    drop(unwanted);
}

/// Whether this thread keeps a stash: not under an address-space limit (`RLIMIT_AS`, as it was
/// at the thread's first look).
fn stashes() -> bool {
    thread_local! {
        static STASHES: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
    }
    STASHES
        .try_with(|cell| match cell.get() {
            Some(known) => known,
            None => {
                let unlimited = rustix::process::getrlimit(rustix::process::Resource::As)
                    .current
                    .is_none();
                cell.set(Some(unlimited));
                unlimited
            }
        })
        .unwrap_or(false)
}

/// `/proc/self/pagemap` of this process, opened at its first use in each process.
static PAGEMAP: PerProcess<File> = PerProcess::new();
/// The kernel has no `PAGEMAP_SCAN` (before Linux 6.7): resets zero and release instead.
static NO_SCAN: AtomicBool = AtomicBool::new(false);

/// `struct pm_scan_arg` of `<linux/fs.h>`.
#[repr(C)]
struct PmScanArg {
    size: u64,
    flags: u64,
    start: u64,
    end: u64,
    walk_end: u64,
    vec: u64,
    vec_len: u64,
    max_pages: u64,
    category_inverted: u64,
    category_mask: u64,
    category_anyof_mask: u64,
    return_mask: u64,
}

/// `struct page_region` of `<linux/fs.h>`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct PageRegion {
    start: u64,
    end: u64,
    categories: u64,
}

/// `PAGEMAP_SCAN`: `_IOWR('f', 16, struct pm_scan_arg)`.
const PAGEMAP_SCAN: libc::c_ulong = (3 << 30)
    | ((std::mem::size_of::<PmScanArg>() as libc::c_ulong) << 16)
    | ((b'f' as libc::c_ulong) << 8)
    | 16;
const _: () = assert!(std::mem::size_of::<PmScanArg>() == 96);
const PAGE_IS_WRITTEN: u64 = 1 << 1;
const PAGE_IS_FILE: u64 = 1 << 2;
const PAGE_IS_PRESENT: u64 = 1 << 3;
const PAGE_IS_SWAPPED: u64 = 1 << 4;
const PAGE_IS_PFNZERO: u64 = 1 << 5;
/// Regions one ioctl reports at most; a scan that fills them goes on from where it stopped.
const REGIONS_PER_SCAN: usize = 32;

/// Zeroes the pages of `start..end` (page-aligned, accessible, used by nothing else) that hold
/// anything: present or swapped out, and not the shared zero page. Stops once `budget` bytes
/// were zeroed. `Ok(None)`: every such page is zero now; `Ok(Some(at))`: the budget ran out and
/// `at..end` was not looked at; `Err(at)`: no scan could be made from `at` on.
fn zero_written_pages(start: usize, end: usize, budget: usize) -> Result<Option<usize>, usize> {
    if start >= end {
        return Ok(None);
    }
    if NO_SCAN.load(Ordering::Relaxed) {
        return Err(start);
    }
    let Ok(pagemap) = PAGEMAP.get_or_start(|| File::open("/proc/self/pagemap")) else {
        return Err(start);
    };
    let page = page_size();
    let mut budget_pages = (budget / page) as u64;
    let mut cursor = start;
    let mut regions = [PageRegion::default(); REGIONS_PER_SCAN];
    while cursor < end {
        if budget_pages == 0 {
            return Ok(Some(cursor));
        }
        let mut arg = PmScanArg {
            size: std::mem::size_of::<PmScanArg>() as u64,
            flags: 0,
            start: cursor as u64,
            end: end as u64,
            walk_end: 0,
            vec: regions.as_mut_ptr() as u64,
            vec_len: REGIONS_PER_SCAN as u64,
            max_pages: budget_pages,
            // Pages that hold something: written (every page not write-protected through
            // userfaultfd), present or in swap, and neither the zero page nor a file's page.
            category_inverted: PAGE_IS_PFNZERO | PAGE_IS_FILE,
            category_mask: PAGE_IS_WRITTEN | PAGE_IS_PFNZERO | PAGE_IS_FILE,
            category_anyof_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
            // No categories back, so that neighbouring pages make one region.
            return_mask: 0,
        };
        // SAFETY: `arg` and the `regions` it points to are valid for the call; the kernel
        // writes at most `vec_len` regions and `walk_end`.
        let found = unsafe { libc::ioctl(pagemap.as_raw_fd(), PAGEMAP_SCAN, &mut arg) };
        let Ok(found) = usize::try_from(found) else {
            let error = std::io::Error::last_os_error().raw_os_error();
            if matches!(error, Some(libc::ENOTTY | libc::EINVAL | libc::EOPNOTSUPP)) {
                NO_SCAN.store(true, Ordering::Relaxed);
            }
            return Err(cursor);
        };
        for region in &regions[..found.min(REGIONS_PER_SCAN)] {
            let (from, to) = (region.start as usize, region.end as usize);
            if from < cursor || to > end || from > to {
                // Not what was asked for: trust none of it from here on.
                return Err(cursor);
            }
            // SAFETY: inside `start..end`, which the caller owns.
            unsafe { std::ptr::write_bytes(from as *mut u8, 0, to - from) };
            budget_pages = budget_pages.saturating_sub(((to - from) / page) as u64);
        }
        let walk_end = arg.walk_end as usize;
        if walk_end <= cursor || walk_end > end {
            return Err(cursor);
        }
        cursor = walk_end;
        if cursor < end && found < REGIONS_PER_SCAN {
            // Stopped before the end with room for more regions: the budget ran out.
            return Ok(Some(cursor));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The resident pages of `region`'s accessible part that hold a non-zero byte.
    fn nonzero_bytes(region: &Region) -> usize {
        // SAFETY: the accessible part is readable.
        let bytes = unsafe { std::slice::from_raw_parts(region.base.as_ptr(), region.accessible) };
        bytes.iter().filter(|b| **b != 0).count()
    }

    fn write(region: &Region, offset: usize, value: u8, len: usize) {
        assert!(offset + len <= region.accessible);
        // SAFETY: inside the accessible part.
        unsafe { std::ptr::write_bytes(region.base.as_ptr().add(offset), value, len) };
    }

    #[test]
    fn a_reset_zeroes_every_written_page_and_keeps_the_region_accessible() {
        let mut region = Region::reserve(64 << 20).unwrap();
        region.make_accessible(8 << 20).unwrap();
        let page = page_size();
        // Scattered writes, more separate runs than one scan reports.
        for i in 0..100 {
            write(&region, i * 3 * page + 17, 0xa5, 100);
        }
        write(&region, (8 << 20) - 1, 1, 1);
        assert!(region.reset(8 << 20));
        assert_eq!(nonzero_bytes(&region), 0);
        assert_eq!(region.accessible, 8 << 20);
    }

    #[test]
    fn more_written_than_the_budget_is_released() {
        let mut region = Region::reserve(64 << 20).unwrap();
        region.make_accessible(4 * KEEP_RESIDENT).unwrap();
        write(&region, 0, 0x5a, 4 * KEEP_RESIDENT);
        assert!(region.reset(4 * KEEP_RESIDENT));
        assert_eq!(nonzero_bytes(&region), 0);
    }

    #[test]
    fn the_fallback_without_a_scan_zeroes_everything_too() {
        let mut region = Region::reserve(16 << 20).unwrap();
        region.make_accessible(2 << 20).unwrap();
        write(&region, 3, 7, 1 << 20);
        let start = region.base.as_ptr() as usize;
        // What `reset` does when the scan is unavailable from `start` on.
        let keep = FALLBACK_KEEP_RESIDENT;
        // SAFETY: inside the accessible part.
        unsafe { std::ptr::write_bytes(start as *mut u8, 0, keep) };
        assert!(release(start + keep, start + region.accessible));
        assert_eq!(nonzero_bytes(&region), 0);
    }

    #[test]
    fn a_scan_reports_only_pages_that_hold_something() {
        let mut region = Region::reserve(16 << 20).unwrap();
        region.make_accessible(1 << 20).unwrap();
        let page = page_size();
        let start = region.base.as_ptr() as usize;
        // Read (the zero page is mapped), never written: nothing to zero.
        // SAFETY: inside the accessible part.
        let read = unsafe { std::ptr::read_volatile(region.base.as_ptr().add(5 * page)) };
        assert_eq!(read, 0);
        write(&region, 9 * page, 1, 1);
        match zero_written_pages(start, start + region.accessible, KEEP_RESIDENT) {
            Ok(None) => {}
            Ok(Some(at)) => panic!("the budget ran out at {at:#x}"),
            // A kernel without PAGEMAP_SCAN (before 6.7): nothing more to check here.
            Err(_) => return,
        }
        assert_eq!(nonzero_bytes(&region), 0);
        // A budget of one page stops after the first written page.
        write(&region, 2 * page, 1, 1);
        write(&region, 7 * page, 1, 1);
        let stopped = zero_written_pages(start, start + region.accessible, page).unwrap();
        let at = stopped.expect("a budget of one page runs out");
        assert!(at > start + 2 * page && at <= start + 7 * page, "{at:#x}");
    }

    #[test]
    fn kept_regions_are_reused_and_start_zeroed() {
        let creator = Memories;
        let ty = MemoryType::new(1, None);
        let mut first = creator
            .new_memory(ty.clone(), 64 << 10, None, Some(0), 0)
            .unwrap();
        first.grow_to(5 << 16).unwrap();
        let base = first.as_ptr();
        // SAFETY: the memory is 5 pages long.
        unsafe { std::ptr::write_bytes(base, 0xee, 5 << 16) };
        drop(first);
        // The kept region is the one most recently given back, unless another test took it.
        let second = creator.new_memory(ty, 64 << 10, None, Some(0), 0).unwrap();
        assert_eq!(second.byte_size(), 64 << 10);
        // Whatever region it is, it is accessible for at least 5 pages if it was the first
        // one, and for one page in any case.
        let len = if second.as_ptr() == base {
            5 << 16
        } else {
            64 << 10
        };
        // SAFETY: as said above.
        let bytes = unsafe { std::slice::from_raw_parts(second.as_ptr(), len) };
        assert!(bytes.iter().all(|b| *b == 0));
        assert!(creator
            .new_memory(MemoryType::new(1, None), 64 << 10, None, Some(0), 4096)
            .is_err());
    }
}
