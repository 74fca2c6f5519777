//! Helpers shared by the fuzz targets.

use extism::{DataSource, Manifest, Wasm};

/// Turns off wasmtime's on-disk compilation cache, so that fuzzing does not fill the cache
/// directory with one entry per generated module. Called from `init`, before any engine exists.
pub fn disable_disk_cache() {
    std::env::set_var("EXTISM_CACHE_CONFIG", "");
}

/// Whether loading `wasm` only touches bytes inside the manifest itself.
///
/// The other sources are left out on purpose: `{"ptr", "len"}` reads process memory at an
/// address the caller vouches for (a bad one crashes by design), `url` goes to the network,
/// and `path` reads any file (`/dev/zero` never ends, `/dev/stdin` blocks).
pub fn self_contained(wasm: &Wasm) -> bool {
    matches!(wasm, Wasm::Data(d) if matches!(d.data, DataSource::Bytes(_)))
}

/// The manifest that `bytes` parse to, when they parse to one that is not self-contained.
/// Such input is never handed to the library as it is.
pub fn unsafe_manifest(bytes: &[u8]) -> Option<Manifest> {
    let manifest = Manifest::parse(bytes).ok()?;
    (!manifest.wasm.iter().all(self_contained)).then_some(manifest)
}
