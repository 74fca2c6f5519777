//! The WASI preview1 context of a plugin (docs/abi.md §8.3): no args, no environment, no stdio
//! unless `EXTISM_ENABLE_WASI_OUTPUT` is set, and `allowed_paths` as preopened directories;
//! and the checks that keep a guest from planting links that lead out of them.
//!
//! wasmtime-wasi's synchronous preview1 functions run its asynchronous ones to completion
//! with `wasmtime_wasi::runtime::in_tokio`, in the tokio runtime entered on the calling
//! thread, or, when none is, in a global runtime of wasmtime-wasi's own, which this library
//! could not replace in a forked child (its worker and blocking threads are not there, and a
//! call waiting for them never returns). So guest code with WASI runs with this library's
//! runtime entered ([`enter`]): one worker thread, which drives the timers of `poll_oneoff`
//! and sleeps while nothing is due, and no blocking threads for files, which are read and
//! written on the calling thread (`allow_blocking_current_thread`), as the call waits for
//! them anyway.
//!
//! At fork: the runtime is started again in the child on its first WASI call; the parent's
//! is left as it is (dropping it would wait for threads that are not there). On failure: a
//! runtime that cannot be started fails the call or the plugin creation that needed it.

use std::path::{Component, Path};

use tokio::runtime::EnterGuard;
use wasmtime::{AsContextMut, Caller, Extern, Linker};
use wasmtime_wasi::p1::wasi_snapshot_preview1::{self as preview1, WasiSnapshotPreview1};
use wasmtime_wasi::p1::{types, WasiP1Ctx};
use wasmtime_wasi::runtime::in_tokio;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};
use wiggle::{GuestMemory, GuestPtr};

use crate::error::{Error, Result};
use crate::process::PerProcess;
use crate::store::{Settings, StoreData};

/// This process's runtime for WASI calls.
static RUNTIME: PerProcess<tokio::runtime::Runtime> = PerProcess::new();

/// Enters this process's WASI runtime on the calling thread, starting it first if needed,
/// until the guard is dropped: for running guest code of a plugin with WASI.
pub(crate) fn enter() -> Result<EnterGuard<'static>> {
    let runtime = RUNTIME.get_or_start(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("extism-wasi")
            .enable_time()
            .enable_io()
            .build()
            .map_err(|e| Error::msg(format!("unable to start the WASI runtime: {e}")))
    })?;
    Ok(runtime.enter())
}

/// Builds the WASI context for one store.
pub(crate) fn context(settings: &Settings) -> Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    // Files are read and written on the calling thread, not handed to the runtime's blocking
    // threads: the call waits for them either way.
    builder.allow_blocking_current_thread(true);
    if crate::environment::get().wasi_output {
        builder.inherit_stdout().inherit_stderr();
    }
    for (host, guest) in &settings.allowed_paths {
        let (host, read_only) = match host.strip_prefix("ro:") {
            Some(host) => (host, true),
            None => (host.as_str(), false),
        };
        let perms = if read_only {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        };
        let guest = guest.to_string_lossy();
        builder
            .preopened_dir(host, guest.as_ref(), perms)
            .map_err(|e| {
                Error::msg(format!(
                    "unable to open allowed path \"{host}\": {}",
                    e.root_cause()
                ))
            })?;
    }
    Ok(builder.build_p1())
}

/// Replaces wasmtime-wasi's `path_symlink` and `path_link` in `linker` (which must allow
/// shadowing and already hold WASI preview1) with versions that refuse links a guest could
/// use to lead the host, or another program, out of a mount (docs/abi.md §8.3):
///
/// - a symlink whose target is absolute or has a `..` component. A lexical check of `..`
///   against the link's depth would not hold: the guest can later move the link, or a
///   directory above it, closer to the mount's root, and a `..` after a symlinked component
///   climbs from wherever that symlink points (`s -> .` then `x -> s/../secret`). A target made
///   only of names, on the other hand, stays at or below the link's directory wherever the link
///   is moved, through any chain of such links.
/// - a hard link of a symlink, which would copy a link the guest could not have made (one the
///   host placed in the mount) to a new place. The old path is checked before the link and
///   the new one after it, and a link that turns out to be a symlink (one renamed into place
///   between the check and the link) is removed before the call returns.
///
/// A refused call returns `EPERM` and changes nothing, as wasmtime-wasi does for the absolute
/// targets it refuses itself. Everything else goes to wasmtime-wasi's own implementation.
pub(crate) fn define_link_checks(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    linker.func_wrap(
        PREVIEW1,
        "path_symlink",
        |mut caller: Caller<'_, StoreData>,
         target: i32,
         target_len: i32,
         fd: i32,
         link: i32,
         link_len: i32|
         -> wasmtime::Result<i32> {
            with_preview1(&mut caller, |ctx, memory| {
                if leads_out(memory, target, target_len, ctx.hostcall_fuel) {
                    return Ok(refused());
                }
                in_tokio(preview1::path_symlink(
                    ctx.wasi, memory, target, target_len, fd, link, link_len,
                ))
            })
        },
    )?;
    linker.func_wrap(
        PREVIEW1,
        "path_link",
        |mut caller: Caller<'_, StoreData>,
         old_fd: i32,
         old_flags: i32,
         old: i32,
         old_len: i32,
         new_fd: i32,
         new: i32,
         new_len: i32|
         -> wasmtime::Result<i32> {
            with_preview1(&mut caller, |ctx, memory| {
                if is_symlink(ctx.wasi, memory, old_fd, old, old_len) {
                    return Ok(refused());
                }
                // Each check spends fuel on its path; each step gets the whole allowance.
                ctx.wasi.set_hostcall_fuel(ctx.hostcall_fuel);
                let errno = in_tokio(preview1::path_link(
                    ctx.wasi, memory, old_fd, old_flags, old, old_len, new_fd, new, new_len,
                ))?;
                // What was linked is checked again: a symlink renamed to the old path between
                // the check and the link is linked itself. Such a link is removed at once.
                ctx.wasi.set_hostcall_fuel(ctx.hostcall_fuel);
                if errno == 0 && is_symlink(ctx.wasi, memory, new_fd, new, new_len) {
                    ctx.wasi.set_hostcall_fuel(ctx.hostcall_fuel);
                    let path = GuestPtr::new((new as u32, new_len as u32));
                    let _ = in_tokio(WasiSnapshotPreview1::path_unlink_file(
                        ctx.wasi,
                        memory,
                        types::Fd::from(new_fd),
                        path,
                    ));
                    return Ok(refused());
                }
                Ok(errno)
            })
        },
    )?;
    Ok(())
}

const PREVIEW1: &str = "wasi_snapshot_preview1";

/// The errno of a refused link.
fn refused() -> i32 {
    i32::from(u16::from(types::Errno::Perm))
}

/// The WASI context of a preview1 call, with the store's host-call fuel: how many bytes of
/// guest data the host may copy for this call.
struct Preview1Context<'a> {
    wasi: &'a mut WasiP1Ctx,
    hostcall_fuel: usize,
}

/// Runs `f` with the caller's WASI context and its memory, as wasmtime-wasi's own preview1
/// functions get them.
fn with_preview1(
    caller: &mut Caller<'_, StoreData>,
    f: impl FnOnce(Preview1Context<'_>, &mut GuestMemory<'_>) -> wasmtime::Result<i32>,
) -> wasmtime::Result<i32> {
    let hostcall_fuel = caller.as_context_mut().hostcall_fuel();
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => {
            let (bytes, data) = memory.data_and_store_mut(&mut *caller);
            let wasi = data.wasi();
            wasi.set_hostcall_fuel(hostcall_fuel);
            let context = Preview1Context {
                wasi,
                hostcall_fuel,
            };
            f(context, &mut GuestMemory::Unshared(bytes))
        }
        Some(Extern::SharedMemory(memory)) => {
            let wasi = caller.data_mut().wasi();
            wasi.set_hostcall_fuel(hostcall_fuel);
            let context = Preview1Context {
                wasi,
                hostcall_fuel,
            };
            f(context, &mut GuestMemory::Shared(memory.data()))
        }
        _ => Err(wasmtime::Error::msg("missing required memory export")),
    }
}

/// Whether the symlink target at `ptr`/`len` in guest memory is absolute or has a `..`
/// component. A target that cannot be read (out of bounds, not UTF-8, longer than the
/// host-call fuel allows) is left to wasmtime-wasi, which fails the call with its own errno.
fn leads_out(memory: &GuestMemory<'_>, ptr: i32, len: i32, hostcall_fuel: usize) -> bool {
    if usize::try_from(len as u32).map_or(true, |len| len > hostcall_fuel) {
        return false;
    }
    let Ok(target) = memory.as_cow_str(GuestPtr::new((ptr as u32, len as u32))) else {
        return false;
    };
    Path::new(target.as_ref())
        .components()
        .any(|part| !matches!(part, Component::Normal(_) | Component::CurDir))
}

/// Whether `path` (at `ptr`/`len` in guest memory) names a symlink in directory `fd`, without
/// following it. Anything that cannot be checked is left to wasmtime-wasi's `path_link`,
/// which fails on it alike.
fn is_symlink(
    wasi: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    fd: i32,
    ptr: i32,
    len: i32,
) -> bool {
    let path = GuestPtr::new((ptr as u32, len as u32));
    let stat = in_tokio(WasiSnapshotPreview1::path_filestat_get(
        wasi,
        memory,
        types::Fd::from(fd),
        types::Lookupflags::empty(),
        path,
    ));
    matches!(stat, Ok(stat) if stat.filetype == types::Filetype::SymbolicLink)
}
