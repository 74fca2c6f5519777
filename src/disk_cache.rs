//! The on-disk cache of compiled modules.
//!
//! `EXTISM_CACHE_CONFIG` chooses it as in the reference: unset means wasmtime's default cache
//! configuration, an empty value means no cache, and a path names a wasmtime cache
//! configuration file. Of that configuration this cache uses the directory and the two soft
//! limits (total size and file count, with the share to keep when it deletes).
//!
//! Each compiled module is one file, `<directory>/extism-modules/<key>.cwasm`, holding the
//! output of [`Module::serialize`]. The key is the SHA-256 of the engine's compatibility hash
//! (wasmtime version, compiler settings, CPU features) and the module's bytes. A hit maps the
//! file into memory with [`Module::deserialize_file`], so loading a large plugin costs a hash
//! of its bytes and page faults for the code it runs, with no read, decompression or copy.
//! Files are written under a temporary name and renamed into place, so readers never see a
//! partial file; a file that does not load is deleted and the module compiled again.

use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// Subdirectory of the configured cache directory that holds this library's files.
const SUBDIRECTORY: &str = "extism-modules";
const EXTENSION: &str = "cwasm";
/// A temporary file this old belongs to a writer that is gone.
const STALE_TEMPORARY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Where compiled modules are kept, and how much may be kept.
#[derive(Debug, Clone)]
pub(crate) struct DiskCache {
    dir: PathBuf,
    size_limit: u64,
    count_limit: u64,
    /// Percent of each limit to go down to when files are deleted.
    size_keep_percent: u8,
    count_keep_percent: u8,
}

impl DiskCache {
    /// The cache `EXTISM_CACHE_CONFIG` asks for; `None` when it is off or its configuration
    /// cannot be loaded (then modules are simply compiled every time).
    pub(crate) fn from_env() -> Option<DiskCache> {
        let config = match std::env::var_os("EXTISM_CACHE_CONFIG") {
            None => wasmtime::CacheConfig::from_file(None),
            Some(path) if path.is_empty() => return None,
            Some(path) => wasmtime::CacheConfig::from_file(Some(Path::new(&path))),
        };
        let config = match config {
            Ok(config) => config,
            Err(err) => {
                tracing::warn!(target: "extism::cache", "compilation cache disabled: {err:#}");
                return None;
            }
        };
        Some(DiskCache {
            dir: config.directory()?.join(SUBDIRECTORY),
            size_limit: config.files_total_size_soft_limit(),
            count_limit: config.file_count_soft_limit(),
            size_keep_percent: config.files_total_size_limit_percent_if_deleting(),
            count_keep_percent: config.file_count_limit_percent_if_deleting(),
        })
    }

    /// The module compiled from `bytes`, from the cache or compiled now (and then stored).
    pub(crate) fn module(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
        let path = self.path(engine, bytes);
        if path.exists() {
            // SAFETY: files in the cache directory are written by `store` below from
            // `Module::serialize` and never modified in place (they are renamed into place),
            // and the key includes the engine's compatibility hash. The cache directory is
            // trusted, as wasmtime's own cache directory is (SECURITY.md).
            match unsafe { Module::deserialize_file(engine, &path) } {
                Ok(module) => {
                    touch(&path);
                    return Ok(module);
                }
                Err(err) => {
                    tracing::debug!(target: "extism::cache", "dropping {}: {err:#}", path.display());
                    let _ = fs::remove_file(&path);
                }
            }
        }
        let module = crate::validate::compile_checked(engine, bytes)?;
        if let Err(err) = self.store(&path, &module) {
            tracing::debug!(target: "extism::cache", "not cached: {}: {err:#}", path.display());
        }
        Ok(module)
    }

    fn path(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        let mut hasher = Sha256Hasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let mut digest = hasher.0;
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(bytes);
        let name: String = digest
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        self.dir.join(format!("{name}.{EXTENSION}"))
    }

    fn store(&self, path: &Path, module: &Module) -> wasmtime::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let serialized = module.serialize()?;
        let temporary = self.dir.join(format!(
            ".{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        if let Err(err) = fs::write(&temporary, &serialized) {
            let _ = fs::remove_file(&temporary);
            return Err(err.into());
        }
        if let Err(err) = fs::rename(&temporary, path) {
            let _ = fs::remove_file(&temporary);
            return Err(err.into());
        }
        self.trim();
        Ok(())
    }

    /// Above either soft limit, deletes the least recently used files until both are back
    /// under their keep percentage. Also deletes temporary files that a process which stopped
    /// while writing left behind.
    fn trim(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let path = entry.path();
                let metadata = entry.metadata().ok()?;
                let modified = metadata.modified().ok()?;
                let extension = path.extension()?;
                if extension == "tmp" {
                    let age = now.duration_since(modified).unwrap_or_default();
                    if age > STALE_TEMPORARY {
                        let _ = fs::remove_file(&path);
                    }
                    return None;
                }
                (extension == EXTENSION).then_some((modified, metadata.len(), path))
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
        for (_, len, path) in files {
            if size <= size_goal && count <= count_goal {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                size = size.saturating_sub(len);
                count -= 1;
            }
        }
    }
}

fn percent_of(value: u64, percent: u8) -> u64 {
    (u128::from(value) * u128::from(percent) / 100) as u64
}

/// Marks a file as just used, for the least-recently-used order of [`DiskCache::trim`].
fn touch(path: &Path) {
    if let Ok(file) = fs::File::options().write(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Feeds `Hash` implementations into SHA-256.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_in(dir: &Path, size_limit: u64, count_limit: u64) -> DiskCache {
        DiskCache {
            dir: dir.to_path_buf(),
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

    fn set_modified(path: &Path, time: SystemTime) {
        fs::File::options()
            .write(true)
            .open(path)
            .and_then(|file| file.set_modified(time))
            .expect("set time");
    }

    const WAT: &str = r#"(module (func (export "answer") (result i32) (i32.const 42)))"#;

    fn answer(engine: &Engine, module: &Module) -> i32 {
        let mut store = wasmtime::Store::new(engine, ());
        let instance = wasmtime::Instance::new(&mut store, module, &[]).expect("instance");
        let func = instance
            .get_typed_func::<(), i32>(&mut store, "answer")
            .expect("export");
        func.call(&mut store, ()).expect("call")
    }

    #[test]
    fn a_module_is_stored_once_and_loaded_from_the_file() {
        let dir = temp_dir("hit");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        let first = cache.module(&engine, WAT.as_bytes()).expect("compile");
        assert_eq!(answer(&engine, &first), 42);
        let files: Vec<_> = fs::read_dir(&dir).expect("dir").collect();
        assert_eq!(files.len(), 1, "one file per module, no temporary left");
        let path = cache.path(&engine, WAT.as_bytes());
        assert!(path.exists());

        // A second engine (another process, in effect) loads the file rather than compiling:
        // with another module's code put under this key, that other code is what runs.
        let other = r#"(module (func (export "answer") (result i32) (i32.const 7)))"#;
        cache.module(&engine, other.as_bytes()).expect("compile");
        fs::copy(cache.path(&engine, other.as_bytes()), &path).expect("copy");
        let engine = Engine::default();
        let second = cache.module(&engine, WAT.as_bytes()).expect("load");
        assert_eq!(answer(&engine, &second), 7);
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn a_damaged_file_is_replaced() {
        let dir = temp_dir("damaged");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let engine = Engine::default();
        let path = cache.path(&engine, WAT.as_bytes());
        fs::write(&path, b"not a compiled module").expect("write");
        let module = cache.module(&engine, WAT.as_bytes()).expect("compile");
        assert_eq!(answer(&engine, &module), 42);
        let stored = fs::read(&path).expect("stored again");
        assert_ne!(stored, b"not a compiled module");
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn different_bytes_and_engines_get_different_files() {
        let dir = temp_dir("keys");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let plain = Engine::default();
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let metered = Engine::new(&config).expect("engine");
        let other = r#"(module (func (export "answer") (result i32) (i32.const 7)))"#;
        let a = cache.path(&plain, WAT.as_bytes());
        assert_ne!(a, cache.path(&plain, other.as_bytes()));
        assert_ne!(a, cache.path(&metered, WAT.as_bytes()));
        assert_eq!(a, cache.path(&Engine::default(), WAT.as_bytes()));
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn stale_temporary_files_are_deleted() {
        let dir = temp_dir("stale");
        let cache = cache_in(&dir, u64::MAX, u64::MAX);
        let stale = dir.join(".1.old.tmp");
        let fresh = dir.join(".2.new.tmp");
        for path in [&stale, &fresh] {
            fs::write(path, b"partial").expect("write");
        }
        let old = SystemTime::now() - STALE_TEMPORARY - std::time::Duration::from_secs(60);
        set_modified(&stale, old);
        cache
            .module(&Engine::default(), WAT.as_bytes())
            .expect("compile");
        assert!(!stale.exists(), "a stale temporary file is deleted");
        assert!(fresh.exists(), "a recent one may still be written to");
        fs::remove_dir_all(&dir).expect("clean up");
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
            .map(|source| cache.path(&engine, source.as_bytes()))
            .collect();
        for (i, source) in sources.iter().take(4).enumerate() {
            cache.module(&engine, source.as_bytes()).expect("compile");
            // Distinct modification times, oldest first.
            let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000 + i as u64);
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
        fs::remove_dir_all(&dir).expect("clean up");
    }
}
