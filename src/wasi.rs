//! The WASI preview1 context of a plugin (docs/abi.md §8.3): no args, no environment, no stdio
//! unless `EXTISM_ENABLE_WASI_OUTPUT` is set, and `allowed_paths` as preopened directories.

use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::error::{Error, Result};
use crate::store::Settings;

/// Builds the WASI context for one store.
pub(crate) fn context(settings: &Settings) -> Result<WasiP1Ctx> {
    let mut builder = WasiCtxBuilder::new();
    if std::env::var_os("EXTISM_ENABLE_WASI_OUTPUT").is_some() {
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
