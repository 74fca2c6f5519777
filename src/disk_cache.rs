//! The on-disk cache of compiled modules.
//!
//! `EXTISM_CACHE_CONFIG` chooses it as in the reference: unset means the default cache, an
//! empty value means no cache, and a path names a wasmtime cache configuration file, of which
//! this cache uses the directory and the two soft limits (total size and file count, with the
//! share to keep when it deletes).
//!
//! # Where the files are
//!
//! - Unset: `$XDG_CACHE_HOME/extism/modules`, or `$HOME/.cache/extism/modules` when
//!   `XDG_CACHE_HOME` is unset or not absolute, with wasmtime's default soft limits.
//! - A configuration file whose cache `directory` is `D` (wasmtime's default when it names
//!   none): the sibling directory `D-extism`. wasmtime's clean-up visits `D` and everything
//!   below it, and deletes every file it does not recognise, so our files never go there.
//!
//! The directories up to `$XDG_CACHE_HOME` (or `$HOME/.cache`, or the parent of `D`) are opened
//! as the user named them, symbolic links included, and created when missing. Every directory
//! below them and every file is opened relative to its parent's descriptor, with `O_NOFOLLOW`,
//! and used only when the effective user owns it and neither group nor others may write to it.
//! Otherwise the module is compiled without the cache, and a warning on the `extism::cache`
//! target says why.
//!
//! # The files
//!
//! Each compiled module is one file, `<key>.cwasm`. The key is the BLAKE3 hash of the engine's
//! compatibility hash (wasmtime version, compiler settings, CPU features) and the module's
//! bytes. A file holds a header (a magic number with the format version, the key, and the
//! XXH3-128 checksum of the rest) and then the output of [`Module::serialize`].
//!
//! A hit reads the file once, from start to end, into memory, checking the header, the key and
//! the checksum on the way, and hands the bytes to [`Module::deserialize`], which copies them
//! into memory of its own. The cache file itself is never mapped: truncating or rewriting it
//! later cannot reach a module already loaded, and a loaded module holds no descriptor. A file
//! that fails a check is deleted, and the module compiled and stored again.
//!
//! Files are written under a temporary name and renamed into place, so readers never see a
//! partial file. A write that would pass the process's file-size limit (`RLIMIT_FSIZE`) is
//! skipped, since the kernel would end the process with `SIGXFSZ`.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps};
use wasmtime::error::Context;
use wasmtime::{bail, format_err, Engine, Error, Module, Result};

const EXTENSION: &str = "cwasm";
/// The first bytes of every file: a name and the format version.
const MAGIC: [u8; 8] = *b"extism\x00\x01";
const KEY_LEN: usize = 32;
const CHECKSUM_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + KEY_LEN + CHECKSUM_LEN;
/// A temporary file this old belongs to a writer that is gone.
const STALE_TEMPORARY: Duration = Duration::from_secs(3600);

type Key = [u8; KEY_LEN];

/// Where compiled modules are kept, and how much may be kept.
#[derive(Debug, Clone)]
pub(crate) struct DiskCache {
    location: Location,
    size_limit: u64,
    count_limit: u64,
    /// Percent of each limit to go down to when files are deleted.
    size_keep_percent: u8,
    count_keep_percent: u8,
}

/// The cache directory: `base` followed by `below`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    /// A directory the user chose, opened as named (symbolic links followed).
    base: PathBuf,
    /// The directories below `base`, each created when missing and checked on every use.
    below: Vec<OsString>,
}

impl Location {
    /// The default location: `$XDG_CACHE_HOME/extism/modules`, or `$HOME/.cache/extism/modules`.
    fn default_for(xdg_cache_home: Option<OsString>, home: Option<OsString>) -> Option<Location> {
        let base = match xdg_cache_home.map(PathBuf::from) {
            Some(dir) if dir.is_absolute() => dir,
            _ => PathBuf::from(home.filter(|home| !home.is_empty())?).join(".cache"),
        };
        Some(Location {
            base,
            below: vec!["extism".into(), "modules".into()],
        })
    }

    /// The location beside wasmtime's cache directory `dir`: `<dir>-extism`.
    fn beside(dir: &Path) -> Option<Location> {
        let mut name = dir.file_name()?.to_os_string();
        name.push("-extism");
        Some(Location {
            base: dir.parent()?.to_path_buf(),
            below: vec![name],
        })
    }

    fn path(&self) -> PathBuf {
        self.below
            .iter()
            .fold(self.base.clone(), |path, name| path.join(name))
    }

    /// Opens the cache directory, creating what is missing, and checks every directory below
    /// `base` as it goes (see [`check_owned`]).
    fn open(&self) -> Result<OwnedFd> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.base)
            .with_context(|| format!("cannot create {}", self.base.display()))?;
        let mut dir = rustix::fs::open(
            &self.base,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .with_context(|| format!("cannot open {}", self.base.display()))?;
        let mut path = self.base.clone();
        for name in &self.below {
            path.push(name);
            match rustix::fs::mkdirat(&dir, name.as_os_str(), Mode::RWXU) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(err) => {
                    return Err(
                        Error::from(err).context(format!("cannot create {}", path.display()))
                    )
                }
            }
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let next = rustix::fs::openat(&dir, name.as_os_str(), flags, Mode::empty())
                .map_err(|err| refusal(&path, err))?;
            check_owned(&next, &path, FileType::Directory)?;
            dir = next;
        }
        Ok(dir)
    }
}

/// The reason not to use an entry that `openat` with `O_NOFOLLOW` refused.
fn refusal(path: &Path, err: rustix::io::Errno) -> Error {
    if err == rustix::io::Errno::LOOP || err == rustix::io::Errno::NOTDIR {
        format_err!("{} is a symbolic link or not a directory", path.display())
    } else {
        Error::from(err).context(format!("cannot open {}", path.display()))
    }
}

/// Succeeds when `fd` is of type `kind`, belongs to the effective user and is writable by
/// neither group nor others (so no other user can have put it there or changed it), and
/// returns its length.
fn check_owned(fd: &OwnedFd, path: &Path, kind: FileType) -> Result<u64> {
    let stat = rustix::fs::fstat(fd)?;
    let actual = FileType::from_raw_mode(stat.st_mode);
    if actual != kind {
        bail!("{} is a {actual:?}, not a {kind:?}", path.display());
    }
    let euid = rustix::process::geteuid().as_raw();
    if stat.st_uid != euid {
        bail!(
            "{} belongs to user {}, not to the effective user {euid}",
            path.display(),
            stat.st_uid
        );
    }
    if stat.st_mode & 0o022 != 0 {
        bail!(
            "{} is writable by group or others (mode {:o})",
            path.display(),
            stat.st_mode & 0o7777
        );
    }
    Ok(u64::try_from(stat.st_size).unwrap_or(0))
}

/// The process's file-size limit (`RLIMIT_FSIZE`) in bytes, or `None` when there is none.
/// Writing past it raises `SIGXFSZ`, which ends the process unless the host handles it.
pub(crate) fn file_size_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Fsize).current
}

/// What a lookup found under a key.
enum Lookup {
    /// The module of a file that passed every check.
    Hit(Module),
    Missing,
    /// A file that failed a check, with the reason.
    Damaged(Error),
    /// An entry that must not be read (a symbolic link, another user's file, ...).
    Refused(Error),
}

impl DiskCache {
    /// The cache `EXTISM_CACHE_CONFIG` asks for; `None` when it is off or its configuration
    /// cannot be loaded (then modules are simply compiled every time).
    pub(crate) fn from_env() -> Option<DiskCache> {
        let environment = crate::environment::get();
        let (location, config) = match environment.cache_config.clone() {
            None => {
                let location = Location::default_for(
                    environment.xdg_cache_home.clone(),
                    environment.home.clone(),
                );
                let Some(location) = location else {
                    tracing::warn!(target: "extism::cache", "compilation cache disabled: neither XDG_CACHE_HOME nor HOME is set");
                    return None;
                };
                (location, wasmtime::CacheConfig::new())
            }
            Some(path) if path.is_empty() => return None,
            Some(path) => {
                let config = match wasmtime::CacheConfig::from_file(Some(Path::new(&path))) {
                    Ok(config) => config,
                    Err(err) => {
                        tracing::warn!(target: "extism::cache", "compilation cache disabled: {err:#}");
                        return None;
                    }
                };
                let Some(location) = config.directory().and_then(|dir| Location::beside(dir))
                else {
                    tracing::warn!(target: "extism::cache", "compilation cache disabled: no place beside the cache directory of {}", Path::new(&path).display());
                    return None;
                };
                (location, config)
            }
        };
        Some(DiskCache {
            location,
            size_limit: config.files_total_size_soft_limit(),
            count_limit: config.file_count_soft_limit(),
            size_keep_percent: config.files_total_size_limit_percent_if_deleting(),
            count_keep_percent: config.file_count_limit_percent_if_deleting(),
        })
    }

    /// The module compiled from `bytes`, from the cache or compiled now (and then stored).
    pub(crate) fn module(&self, engine: &Engine, bytes: &[u8]) -> Result<Module> {
        let dir = match self.location.open() {
            Ok(dir) => dir,
            Err(err) => {
                tracing::warn!(target: "extism::cache", "compiling without the cache: {err:#}");
                return crate::validate::compile_checked(engine, bytes);
            }
        };
        let key = key(engine, bytes);
        let name = file_name(&key);
        let path = self.location.path().join(&name);
        match load(engine, &dir, &name, &path, &key) {
            Lookup::Hit(module) => {
                touch(&dir, &name);
                return Ok(module);
            }
            Lookup::Missing => {}
            // The file is sound, but a pooled engine has no slot for the module's shape; the
            // on-demand engine will load the same file.
            Lookup::Damaged(err) if crate::pool::does_not_fit(&err) => return Err(err),
            Lookup::Damaged(err) => {
                tracing::warn!(target: "extism::cache", "replacing {}: {err:#}", path.display());
                let _ = rustix::fs::unlinkat(&dir, name.as_os_str(), AtFlags::empty());
            }
            Lookup::Refused(err) => {
                tracing::warn!(target: "extism::cache", "not reading {}: {err:#}", path.display());
            }
        }
        let module = crate::validate::compile_checked(engine, bytes)?;
        if let Err(err) = self.store(&dir, &name, &key, &module) {
            tracing::debug!(target: "extism::cache", "not cached: {}: {err:#}", path.display());
        }
        Ok(module)
    }

    /// Writes `module` under `name` (replacing whatever entry has that name), then trims.
    fn store(&self, dir: &OwnedFd, name: &OsStr, key: &Key, module: &Module) -> Result<()> {
        let serialized = module.serialize()?;
        write_file(dir, name, key, &serialized)?;
        self.trim(dir);
        Ok(())
    }

    /// Above either soft limit, deletes the least recently used files until both are back
    /// under their keep percentage. Also deletes temporary files that a process which stopped
    /// while writing left behind.
    fn trim(&self, dir: &OwnedFd) {
        let Ok(entries) = rustix::fs::Dir::read_from(dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut files: Vec<(SystemTime, u64, OsString)> = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let name = OsStr::from_bytes(entry.file_name().to_bytes()).to_os_string();
                let extension = Path::new(&name).extension()?.to_os_string();
                let stat =
                    rustix::fs::statat(dir, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW).ok()?;
                if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
                    return None;
                }
                let seconds = u64::try_from(stat.st_mtime).unwrap_or(0);
                let nanos = u32::try_from(stat.st_mtime_nsec).unwrap_or(0);
                let modified = SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))?;
                if extension == "tmp" {
                    let age = now.duration_since(modified).unwrap_or_default();
                    if age > STALE_TEMPORARY {
                        let _ = rustix::fs::unlinkat(dir, name.as_os_str(), AtFlags::empty());
                    }
                    return None;
                }
                let len = u64::try_from(stat.st_size).unwrap_or(0);
                (extension == EXTENSION).then_some((modified, len, name))
            })
            .collect();
        let mut size: u64 = files.iter().map(|(_, len, _)| len).sum();
        let mut count = files.len() as u64;
        if size <= self.size_limit && count <= self.count_limit {
            return;
        }
        let size_goal = percent_of(self.size_limit, self.size_keep_percent);
        let count_goal = percent_of(self.count_limit, self.count_keep_percent);
        files.sort();
        for (_, len, name) in files {
            if size <= size_goal && count <= count_goal {
                break;
            }
            if rustix::fs::unlinkat(dir, name.as_os_str(), AtFlags::empty()).is_ok() {
                size = size.saturating_sub(len);
                count -= 1;
            }
        }
    }
}

/// The key of `bytes` compiled by `engine`: BLAKE3 of the engine's compatibility hash and the
/// bytes. A cryptographic hash, so that no plugin can be made to share the key of another; BLAKE3
/// because it hashes a megabyte plugin about four times faster than SHA-256 does here.
fn key(engine: &Engine, bytes: &[u8]) -> Key {
    let mut hasher = Blake3Hasher(blake3::Hasher::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let mut hasher = hasher.0;
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
    hasher.finalize().into()
}

fn file_name(key: &Key) -> OsString {
    let hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{hex}.{EXTENSION}").into()
}

fn checksum(serialized: &[u8]) -> [u8; CHECKSUM_LEN] {
    twox_hash::XxHash3_128::oneshot(serialized).to_le_bytes()
}

/// Opens the file `name` of `dir` (at `path`, for messages), checks it and loads its module.
fn load(engine: &Engine, dir: &OwnedFd, name: &OsStr, path: &Path, key: &Key) -> Lookup {
    // O_NONBLOCK: opening a FIFO planted under this name must not block; it is refused below.
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Lookup::Missing,
        Err(rustix::io::Errno::LOOP) => {
            return Lookup::Refused(format_err!("{} is a symbolic link", path.display()))
        }
        Err(err) => return Lookup::Refused(Error::from(err).context("cannot open it")),
    };
    let len = match check_owned(&fd, path, FileType::RegularFile) {
        Ok(len) => len,
        Err(err) => return Lookup::Refused(err),
    };
    match load_checked(engine, File::from(fd), len, key) {
        Ok(module) => Lookup::Hit(module),
        Err(err) => Lookup::Damaged(err),
    }
}

/// Loads the module of a cache file of `len` bytes, which is read once, from start to end.
///
/// The serialized module is read into memory while its checksum is computed, and wasmtime
/// copies it into memory of its own: the module can neither fault nor change when the cache
/// file does, and it holds no descriptor (a module mapped from a file, even an in-memory one,
/// keeps that file open for as long as it lives, and a process with many live modules would
/// run out of descriptors).
fn load_checked(engine: &Engine, mut file: File, len: u64, key: &Key) -> Result<Module> {
    let mut header = [0u8; HEADER_LEN];
    file.read_exact(&mut header)
        .context("too short for a compiled module")?;
    let expected = check_header(&header, key)?;
    let payload_len = len.saturating_sub(HEADER_LEN as u64);
    // At most the length seen when opening: a file that grows meanwhile is not read further.
    let mut payload = file.take(payload_len);
    let mut bytes = Vec::with_capacity(usize::try_from(payload_len).unwrap_or(0));
    let checksum = copy_with_checksum(&mut payload, &mut bytes)?;
    if checksum != expected {
        bail!("checksum mismatch: the file is damaged");
    }
    // SAFETY: the bytes are what `write_file` wrote from `Module::serialize` (the checksum
    // matches), found in a directory only the effective user can write to, under the key of
    // these bytes and of this engine's compatibility hash; wasmtime also checks the engine
    // settings recorded in them. `Module::deserialize` copies them into memory of its own.
    unsafe { Module::deserialize(engine, &bytes) }
}

/// Copies `from` to its end into `to`, and returns the checksum of what was copied.
fn copy_with_checksum(from: &mut impl Read, to: &mut impl Write) -> Result<[u8; CHECKSUM_LEN]> {
    let mut hasher = twox_hash::XxHash3_128::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(Error::from(err).context("cannot read it")),
        };
        let chunk = &buffer[..n];
        hasher.write(chunk);
        to.write_all(chunk)?;
    }
    Ok(hasher.finish_128().to_le_bytes())
}

/// Checks the magic number and the key of a file's header, and returns the checksum it
/// records.
fn check_header(header: &[u8; HEADER_LEN], key: &Key) -> Result<[u8; CHECKSUM_LEN]> {
    let (magic, rest) = header.split_at(MAGIC.len());
    let (stored_key, stored_checksum) = rest.split_at(KEY_LEN);
    if magic != MAGIC {
        bail!("not a compiled module of this format");
    }
    if stored_key != key {
        bail!("written for another module");
    }
    let mut checksum = [0u8; CHECKSUM_LEN];
    checksum.copy_from_slice(stored_checksum);
    Ok(checksum)
}

/// Writes `serialized` under `name` in `dir` with its header: to a new temporary file first,
/// renamed into place when complete. A file that would pass the process's file-size limit is
/// not written.
fn write_file(dir: &OwnedFd, name: &OsStr, key: &Key, serialized: &[u8]) -> Result<()> {
    let len = (HEADER_LEN + serialized.len()) as u64;
    if let Some(limit) = file_size_limit() {
        if len > limit {
            bail!("{len} bytes would pass the file-size limit of {limit} bytes");
        }
    }
    let temporary = format!(
        ".{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, temporary.as_str(), flags, Mode::RUSR | Mode::WUSR)?;
    let mut file = File::from(fd);
    let written: io::Result<()> = (|| {
        file.write_all(&MAGIC)?;
        file.write_all(key)?;
        file.write_all(&checksum(serialized))?;
        file.write_all(serialized)
    })();
    let renamed = written
        .map_err(Error::from)
        .and_then(|()| Ok(rustix::fs::renameat(dir, temporary.as_str(), dir, name)?));
    if renamed.is_err() {
        let _ = rustix::fs::unlinkat(dir, temporary.as_str(), AtFlags::empty());
    }
    renamed
}

fn percent_of(value: u64, percent: u8) -> u64 {
    (u128::from(value) * u128::from(percent) / 100) as u64
}

/// Marks a file as just used, for the least-recently-used order of [`DiskCache::trim`].
fn touch(dir: &OwnedFd, name: &OsStr) {
    let now = Timestamps {
        last_access: Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_OMIT,
        },
        last_modification: Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_NOW,
        },
    };
    let _ = rustix::fs::utimensat(dir.as_fd(), name, &now, AtFlags::SYMLINK_NOFOLLOW);
}

/// Feeds `Hash` implementations into BLAKE3.
struct Blake3Hasher(blake3::Hasher);

impl Hasher for Blake3Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.as_bytes()[..8]);
        u64::from_le_bytes(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    /// A cache in `<dir>/modules` (created on first use).
    fn cache_in(dir: &Path, size_limit: u64, count_limit: u64) -> DiskCache {
        DiskCache {
            location: Location {
                base: dir.to_path_buf(),
                below: vec!["modules".into()],
            },
            size_limit,
            count_limit,
            size_keep_percent: 70,
            count_keep_percent: 70,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "extism-disk-cache-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        fs::create_dir_all(&dir).expect("temporary directory");
        dir
    }

    fn remove(dir: &Path) {
        // Undo permissions a test took away, so that everything can be deleted.
        let _ = fs::set_permissions(dir.join("modules"), fs::Permissions::from_mode(0o700));
        fs::remove_dir_all(dir).expect("clean up");
    }

    fn set_modified(path: &Path, time: SystemTime) {
        fs::File::options()
            .write(true)
            .open(path)
            .and_then(|file| file.set_modified(time))
            .expect("set time");
    }

    const WAT: &str = r#"(module (func (export "answer") (result i32) (i32.const 42)))"#;
    const OTHER: &str = r#"(module (func (export "answer") (result i32) (i32.const 7)))"#;

    fn answer(engine: &Engine, module: &Module) -> i32 {
        let mut store = wasmtime::Store::new(engine, ());
        let instance = wasmtime::Instance::new(&mut store, module, &[]).expect("instance");
        let func = instance
            .get_typed_func::<(), i32>(&mut store, "answer")
            .expect("export");
        func.call(&mut store, ()).expect("call")
    }

    /// Where `cache` keeps the module compiled from `source` by `engine`.
    fn path_of(cache: &DiskCache, engine: &Engine, source: &str) -> PathBuf {
        cache
            .location
            .path()
            .join(file_name(&key(engine, source.as_bytes())))
    }

    /// Writes into `dir`, under the key of `source`, a well-formed file that holds the module
    /// compiled from `contents`: what only someone who can write to the directory can do.
    fn plant(dir: &Path, engine: &Engine, source: &str, contents: &str) {
        fs::create_dir_all(dir).expect("directory");
        let key = key(engine, source.as_bytes());
        let module = Module::new(engine, contents).expect("compile");
        let serialized = module.serialize().expect("serialize");
        let fd = rustix::fs::open(dir, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
            .expect("open directory");
        write_file(&fd, &file_name(&key), &key, &serialized).expect("plant");
    }

    /// Whether `path` is a cache file that passes every check for the key of `source`.
    fn is_valid(path: &Path, engine: &Engine, source: &str) -> bool {
        let contents = fs::read(path).expect("read");
        let Some((header, serialized)) = contents.split_at_checked(HEADER_LEN) else {
            return false;
        };
        let header: &[u8; HEADER_LEN] = header.try_into().expect("header");
        check_header(header, &key(engine, source.as_bytes()))
            .is_ok_and(|expected| expected == checksum(serialized))
    }

    #[test]
    fn a_module_is_stored_once_and_loaded_from_the_file() {
        let dir = temp_dir("hit");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        let first = cache.module(&engine, WAT.as_bytes()).expect("compile");
        assert_eq!(answer(&engine, &first), 42);
        let files: Vec<_> = fs::read_dir(dir.join("modules")).expect("dir").collect();
        assert_eq!(files.len(), 1, "one file per module, no temporary left");
        let path = path_of(&cache, &engine, WAT);
        assert!(is_valid(&path, &engine, WAT));

        // A second engine (another process, in effect) loads the file rather than compiling:
        // with another module's code filed under this key, that other code is what runs.
        plant(&dir.join("modules"), &engine, WAT, OTHER);
        let engine = Engine::default();
        let second = cache.module(&engine, WAT.as_bytes()).expect("load");
        assert_eq!(answer(&engine, &second), 7);
        remove(&dir);
    }

    #[test]
    fn a_damaged_file_is_replaced() {
        let dir = temp_dir("damaged");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        let path = path_of(&cache, &engine, WAT);
        fs::create_dir_all(path.parent().expect("parent")).expect("directory");
        fs::write(&path, b"not a compiled module").expect("write");
        let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
        assert_eq!(answer(&engine, &module), 42);
        assert!(is_valid(&path, &engine, WAT), "stored again");
        remove(&dir);
    }

    /// A module whose code holds the constant 0x12345678, so that a bit flipped in that
    /// constant changes its answer rather than crashing it.
    const CONSTANT: &str =
        r#"(module (func (export "answer") (result i32) (i32.const 0x12345678)))"#;

    #[test]
    fn a_bit_flipped_in_the_code_is_detected_and_the_file_replaced() {
        let dir = temp_dir("bit-flip");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        cache.module(&engine, CONSTANT.as_bytes()).expect("compile");
        let path = path_of(&cache, &engine, CONSTANT);
        let mut contents = fs::read(&path).expect("read");
        let at = contents
            .windows(4)
            .position(|window| window == 0x1234_5678u32.to_le_bytes())
            .expect("the constant is in the compiled code");
        contents[at] ^= 1;
        fs::write(&path, &contents).expect("damage");

        let engine = Engine::default();
        let module = cache.module(&engine, CONSTANT.as_bytes()).expect("load");
        assert_eq!(answer(&engine, &module), 0x1234_5678);
        assert!(is_valid(&path, &engine, CONSTANT), "the file is replaced");
        assert_ne!(fs::read(&path).expect("read"), contents);
        remove(&dir);
    }

    #[test]
    fn every_damaged_or_shortened_file_is_recompiled_and_replaced() {
        let dir = temp_dir("damage-sweep");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        cache.module(&engine, WAT.as_bytes()).expect("compile");
        let path = path_of(&cache, &engine, WAT);
        let pristine = fs::read(&path).expect("read");
        let len = pristine.len();
        let mut damaged: Vec<Vec<u8>> = (0..HEADER_LEN)
            .chain((0..64).map(|i| HEADER_LEN + i * (len - HEADER_LEN) / 64))
            .chain([len - 1])
            .map(|at| {
                let mut contents = pristine.clone();
                contents[at] ^= 1 << (at % 8);
                contents
            })
            .collect();
        for cut in [
            0,
            1,
            HEADER_LEN - 1,
            HEADER_LEN,
            HEADER_LEN + 1,
            len / 2,
            len - 1,
        ] {
            damaged.push(pristine[..cut].to_vec());
        }
        damaged.push([pristine.as_slice(), b"x"].concat());
        for contents in damaged {
            fs::write(&path, &contents).expect("damage");
            let module = cache.module(&engine, WAT.as_bytes()).expect("load");
            assert_eq!(answer(&engine, &module), 42, "{} bytes", contents.len());
            assert!(is_valid(&path, &engine, WAT), "{} bytes", contents.len());
        }
        remove(&dir);
    }

    /// A module whose answer comes from a data segment of more than a page, so that its
    /// initial memory image would come from the file if the file were mapped.
    fn data_module(value: u8) -> String {
        let data = format!("\\{value:02x}").repeat(3 * 4096);
        format!(
            r#"(module (memory 1) (data (i32.const 0) "{data}")
                 (func (export "answer") (result i32) (i32.load8_u (i32.const 8191))))"#
        )
    }

    #[test]
    fn a_loaded_module_survives_its_file_being_truncated_or_rewritten() {
        let dir = temp_dir("truncate");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        let source = data_module(42);
        // The file holds another module (answer 7), so 7 shows that the module came from it.
        plant(&dir.join("modules"), &engine, &source, &data_module(7));
        let module = cache.module(&engine, source.as_bytes()).expect("load");
        assert_eq!(answer(&engine, &module), 7);
        let path = path_of(&cache, &engine, &source);
        let len = fs::metadata(&path).expect("metadata").len();

        let file = fs::File::options().write(true).open(&path).expect("open");
        file.set_len(0).expect("truncate");
        assert_eq!(answer(&engine, &module), 7, "after truncating to 0 bytes");
        file.set_len(4096).expect("truncate");
        assert_eq!(answer(&engine, &module), 7, "after truncating to 4 KiB");
        drop(file);
        let rewritten: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
        fs::write(&path, &rewritten).expect("rewrite in place");
        assert_eq!(fs::metadata(&path).expect("metadata").len(), len);
        assert_eq!(
            answer(&engine, &module),
            7,
            "after rewriting at the same size"
        );
        remove(&dir);
    }

    #[test]
    fn a_symbolic_link_named_after_the_key_is_not_followed() {
        let dir = temp_dir("symlink");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        // Elsewhere, a file that would pass every check under this key, with other code.
        let elsewhere = dir.join("elsewhere");
        plant(&elsewhere, &engine, WAT, OTHER);
        let target = elsewhere.join(file_name(&key(&engine, WAT.as_bytes())));
        let path = path_of(&cache, &engine, WAT);
        fs::create_dir_all(path.parent().expect("parent")).expect("directory");
        std::os::unix::fs::symlink(&target, &path).expect("symlink");

        let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
        assert_eq!(answer(&engine, &module), 42);
        let metadata = fs::symlink_metadata(&path).expect("metadata");
        assert!(metadata.is_file(), "the link is replaced by a file");
        assert!(is_valid(&path, &engine, WAT));
        assert!(
            is_valid(&target, &engine, WAT),
            "the link's target is left alone"
        );
        remove(&dir);
    }

    #[test]
    fn a_symbolic_link_in_place_of_the_directory_is_not_followed() {
        let dir = temp_dir("symlink-dir");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        let elsewhere = dir.join("elsewhere");
        plant(&elsewhere, &engine, WAT, OTHER);
        std::os::unix::fs::symlink(&elsewhere, dir.join("modules")).expect("symlink");
        let before = fs::read_dir(&elsewhere).expect("dir").count();

        let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
        assert_eq!(answer(&engine, &module), 42);
        assert_eq!(fs::read_dir(&elsewhere).expect("dir").count(), before);
        fs::remove_file(dir.join("modules")).expect("remove link");
        remove(&dir);
    }

    #[test]
    fn a_directory_writable_by_others_is_not_used() {
        for mode in [0o777, 0o770, 0o702] {
            let dir = temp_dir("writable-dir");
            let cache = cache_in(&dir, u64::MAX, u64::MAX);
            let engine = Engine::default();
            let modules = dir.join("modules");
            plant(&modules, &engine, WAT, OTHER);
            let planted = fs::read(path_of(&cache, &engine, WAT)).expect("read");
            fs::set_permissions(&modules, fs::Permissions::from_mode(mode)).expect("chmod");

            let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
            assert_eq!(answer(&engine, &module), 42, "mode {mode:o}");
            let other = cache.module(&engine, OTHER.as_bytes()).expect("compile");
            assert_eq!(answer(&engine, &other), 7);
            assert_eq!(
                fs::read_dir(&modules).expect("dir").count(),
                1,
                "nothing written to a directory of mode {mode:o}"
            );
            assert_eq!(
                fs::read(path_of(&cache, &engine, WAT)).expect("read"),
                planted
            );
            remove(&dir);
        }
    }

    #[test]
    fn a_file_writable_by_others_is_not_read() {
        let dir = temp_dir("writable-file");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        plant(&dir.join("modules"), &engine, WAT, OTHER);
        let path = path_of(&cache, &engine, WAT);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).expect("chmod");

        let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
        assert_eq!(answer(&engine, &module), 42);
        assert!(is_valid(&path, &engine, WAT), "replaced by this module");
        let mode = fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        remove(&dir);
    }

    /// Gives `path` to user 65534 (nobody); false when this process may not.
    fn give_away(path: &Path) -> bool {
        match std::os::unix::fs::lchown(path, Some(65534), Some(65534)) {
            Ok(()) => true,
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
                eprintln!("not run: changing a file's owner needs root");
                false
            }
            Err(err) => panic!("chown: {err}"),
        }
    }

    #[test]
    fn a_file_of_another_user_is_not_read() {
        let dir = temp_dir("other-user-file");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        plant(&dir.join("modules"), &engine, WAT, OTHER);
        let path = path_of(&cache, &engine, WAT);
        if give_away(&path) {
            let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
            assert_eq!(answer(&engine, &module), 42);
            assert!(is_valid(&path, &engine, WAT), "replaced by this module");
            let euid = rustix::process::geteuid().as_raw();
            assert_eq!(
                MetadataExt::uid(&fs::metadata(&path).expect("metadata")),
                euid
            );
        }
        remove(&dir);
    }

    #[test]
    fn a_directory_of_another_user_is_not_used() {
        let dir = temp_dir("other-user-dir");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        let modules = dir.join("modules");
        plant(&modules, &engine, WAT, OTHER);
        if give_away(&modules) {
            let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
            assert_eq!(answer(&engine, &module), 42);
            let other = cache.module(&engine, OTHER.as_bytes()).expect("compile");
            assert_eq!(answer(&engine, &other), 7);
            assert_eq!(
                fs::read_dir(&modules).expect("dir").count(),
                1,
                "nothing written"
            );
        }
        remove(&dir);
    }

    #[test]
    fn a_fifo_named_after_the_key_neither_blocks_nor_loads() {
        let dir = temp_dir("fifo");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        let path = path_of(&cache, &engine, WAT);
        fs::create_dir_all(path.parent().expect("parent")).expect("directory");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &path,
            FileType::Fifo,
            Mode::RUSR | Mode::WUSR,
            0,
        )
        .expect("mkfifo");
        let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
        assert_eq!(answer(&engine, &module), 42);
        assert!(is_valid(&path, &engine, WAT), "replaced by a file");
        remove(&dir);
    }

    #[test]
    fn created_directories_and_files_are_private() {
        let dir = temp_dir("private");
        let cache = DiskCache {
            location: Location {
                base: dir.join("base"),
                below: vec!["extism".into(), "modules".into()],
            },
            ..cache_in(&dir, u64::MAX, u64::MAX)
        };
        let engine = Engine::default();
        cache.module(&engine, WAT.as_bytes()).expect("compile");
        let mode =
            |path: PathBuf| fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(dir.join("base/extism")), 0o700);
        assert_eq!(mode(dir.join("base/extism/modules")), 0o700);
        assert_eq!(mode(path_of(&cache, &engine, WAT)), 0o600);
        remove(&dir);
    }

    #[test]
    fn the_default_location_follows_xdg_cache_home_then_home() {
        let location = |xdg: Option<&str>, home: Option<&str>| {
            Location::default_for(xdg.map(OsString::from), home.map(OsString::from))
                .map(|location| location.path())
        };
        assert_eq!(
            location(Some("/x/cache"), Some("/home/u")),
            Some(PathBuf::from("/x/cache/extism/modules"))
        );
        assert_eq!(
            location(None, Some("/home/u")),
            Some(PathBuf::from("/home/u/.cache/extism/modules"))
        );
        // XDG asks to ignore a relative XDG_CACHE_HOME.
        assert_eq!(
            location(Some("cache"), Some("/home/u")),
            Some(PathBuf::from("/home/u/.cache/extism/modules"))
        );
        assert_eq!(location(None, None), None);
        assert_eq!(location(None, Some("")), None);
    }

    #[test]
    fn a_configured_directory_gets_a_sibling_that_wasmtime_never_visits() {
        let location = Location::beside(Path::new("/var/cache/wasmtime")).expect("location");
        assert_eq!(location.path(), PathBuf::from("/var/cache/wasmtime-extism"));
        assert!(!location.path().starts_with("/var/cache/wasmtime/"));
        assert_eq!(Location::beside(Path::new("/")), None);
    }

    #[test]
    fn different_bytes_and_engines_get_different_files() {
        let plain = Engine::default();
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let metered = Engine::new(&config).expect("engine");
        let a = key(&plain, WAT.as_bytes());
        assert_ne!(a, key(&plain, OTHER.as_bytes()));
        assert_ne!(a, key(&metered, WAT.as_bytes()));
        assert_eq!(a, key(&Engine::default(), WAT.as_bytes()));
    }

    #[test]
    fn stale_temporary_files_are_deleted() {
        let dir = temp_dir("stale");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let modules = dir.join("modules");
        fs::create_dir_all(&modules).expect("directory");
        let stale = modules.join(".1.old.tmp");
        let fresh = modules.join(".2.new.tmp");
        for path in [&stale, &fresh] {
            fs::write(path, b"partial").expect("write");
        }
        let old = SystemTime::now() - STALE_TEMPORARY - Duration::from_secs(60);
        set_modified(&stale, old);
        cache
            .module(&Engine::default(), WAT.as_bytes())
            .expect("compile");
        assert!(!stale.exists(), "a stale temporary file is deleted");
        assert!(fresh.exists(), "a recent one may still be written to");
        remove(&dir);
    }

    #[test]
    fn the_count_limit_deletes_the_least_recently_used_files() {
        let dir = temp_dir("trim");
        let cache = cache_in(&dir, u64::MAX, 4);
        let engine = Engine::default();
        let sources: Vec<String> = (0..5)
            .map(|i| format!(r#"(module (func (export "answer") (result i32) (i32.const {i})))"#))
            .collect();
        let paths: Vec<PathBuf> = sources
            .iter()
            .map(|source| path_of(&cache, &engine, source))
            .collect();
        for (i, source) in sources.iter().take(4).enumerate() {
            cache.module(&engine, source.as_bytes()).expect("compile");
            // Distinct modification times, oldest first.
            let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 + i as u64);
            set_modified(&paths[i], time);
        }
        // Using the oldest makes it the newest.
        cache.module(&engine, sources[0].as_bytes()).expect("load");
        // A fifth file goes over the limit of 4: down to 70 % of 4 (2 files).
        cache
            .module(&engine, sources[4].as_bytes())
            .expect("compile");
        let left: Vec<bool> = paths.iter().map(|path| path.exists()).collect();
        assert_eq!(left, [true, false, false, false, true]);
        remove(&dir);
    }
}
