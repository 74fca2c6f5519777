//! Compiling: the builder, compiled plugins, and loading a manifest's modules (files, inline
//! data, addresses, URLs) with their hash checks.

use std::borrow::Cow;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::engine::Runtime;
use crate::error::{Error, Result};
use crate::host_fn::Function;
use crate::link::{self, NamedModule, PluginTemplate};
use crate::manifest::{self, DataSource, Manifest, RawBytes, Source, Wasm};
use crate::plugin::{exports, FunctionSignature, Plugin};
use crate::store::Settings;

/// A compiled plugin: modules compiled and settings fixed, ready to make plugins from. Cheap
/// to clone; plugins made from it share its compiled code and host functions.
#[derive(Clone)]
pub struct CompiledPlugin {
    template: Arc<PluginTemplate>,
}

impl std::fmt::Debug for CompiledPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledPlugin")
            .field("modules", &self.template.modules.len())
            .finish()
    }
}

/// Builds a [`CompiledPlugin`] or a [`Plugin`] from wasm, WAT or a manifest.
#[derive(Debug, Clone)]
pub struct PluginBuilder<'a> {
    source: BuilderSource<'a>,
    functions: Vec<Function>,
    with_wasi: bool,
    fuel: Option<u64>,
}

#[derive(Debug, Clone)]
enum BuilderSource<'a> {
    Bytes(Cow<'a, [u8]>),
    Manifest(Manifest),
}

impl PluginBuilder<'static> {
    /// From input bytes, classified as the C constructors do: wasm, WAT, or a TOML or JSON
    /// manifest.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self::with_source(BuilderSource::Bytes(Cow::Owned(bytes.into())))
    }

    /// From a manifest.
    pub fn from_manifest(manifest: Manifest) -> Self {
        Self::with_source(BuilderSource::Manifest(manifest))
    }
}

impl<'a> PluginBuilder<'a> {
    /// Like [`PluginBuilder::new`], without copying `bytes`.
    pub fn borrowed(bytes: &'a [u8]) -> Self {
        Self::with_source(BuilderSource::Bytes(Cow::Borrowed(bytes)))
    }

    fn with_source(source: BuilderSource<'a>) -> Self {
        PluginBuilder {
            source,
            functions: Vec::new(),
            with_wasi: false,
            fuel: None,
        }
    }

    /// Enables WASI preview1.
    pub fn with_wasi(mut self, with_wasi: bool) -> Self {
        self.with_wasi = with_wasi;
        self
    }

    /// Adds host functions.
    pub fn with_functions(mut self, functions: impl IntoIterator<Item = Function>) -> Self {
        self.functions.extend(functions);
        self
    }

    /// Meters execution: each call may spend at most `fuel` units (about one per instruction).
    pub fn with_fuel_limit(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// Loads and compiles every module; links nothing yet. For making many plugins, as a server
    /// that makes a fresh plugin per request does: plugins made from it check each memory
    /// access against the memory's current size, and their memories are kept for the next
    /// plugin, so that making and freeing one changes nothing in the process's memory map
    /// (docs/abi.md D15).
    pub fn compile(self) -> Result<CompiledPlugin> {
        self.compile_for(Use::Serving)
    }

    /// Loads and compiles every module for one plugin of a long life ([`build`](Self::build)):
    /// guard pages bound its memory accesses, and its instances come from the pool.
    pub(crate) fn compile_for_one(self) -> Result<CompiledPlugin> {
        self.compile_for(Use::One)
    }

    fn compile_for(self, what: Use) -> Result<CompiledPlugin> {
        self.compile_modules(what)
            .map_err(crate::pool::explain_address_limit)
    }

    fn compile_modules(self, what: Use) -> Result<CompiledPlugin> {
        let (manifest, module) = match &self.source {
            BuilderSource::Manifest(manifest) => (Cow::Borrowed(manifest), None),
            BuilderSource::Bytes(bytes) => match manifest::classify(bytes)? {
                Source::Module => (Cow::Owned(Manifest::default()), Some(bytes.as_ref())),
                Source::Manifest(manifest) => (Cow::Owned(manifest), None),
            },
        };
        CompiledPlugin::compile(
            &manifest,
            module,
            &self.functions,
            self.with_wasi,
            self.fuel,
            what,
        )
    }

    /// Compiles, links and returns a plugin.
    pub fn build(self) -> Result<Plugin> {
        self.compile_for_one()?.instantiate()
    }
}

/// What a compilation is for, which decides the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A compiled plugin that many plugins are made from: the serving engines.
    Serving,
    /// One plugin: the pooled engines (on demand when no pool can be had).
    One,
}

impl CompiledPlugin {
    /// Compiles `module` (raw wasm or WAT with the settings of `manifest`), or else the
    /// manifest's modules.
    fn compile(
        manifest: &Manifest,
        module: Option<&[u8]>,
        functions: &[Function],
        with_wasi: bool,
        fuel: Option<u64>,
        what: Use,
    ) -> Result<Self> {
        let runtime = match what {
            Use::Serving => crate::engine::serving(fuel.is_some())?,
            Use::One => crate::engine::runtime(fuel.is_some())?,
        };
        let sources: Vec<(String, Cow<'_, [u8]>)> = match module {
            Some(bytes) => vec![("main".to_owned(), Cow::Borrowed(bytes))],
            None => {
                if manifest.wasm.is_empty() {
                    return Err(Error::msg("No wasm files specified in Extism manifest"));
                }
                let names = module_names(&manifest.wasm)?;
                names
                    .into_iter()
                    .zip(&manifest.wasm)
                    .map(|(name, wasm)| load(wasm).map(|bytes| (name, bytes)))
                    .collect::<Result<_>>()?
            }
        };
        let (runtime, modules) = match compile_all(runtime, &sources)? {
            Some(modules) if !has_command_library(&modules) => (runtime, modules),
            Some(modules) if !runtime.pooled() => (runtime, modules),
            _ => {
                // A module no pool slot can hold, or a command module other than main, whose
                // every call makes an instance that lives as long as the store (one pool slot
                // per call): every module goes to the on-demand runtime, since one store's
                // instances all belong to one engine.
                tracing::debug!(target: "extism::engine", "a module does not fit the instance pool, or is a command library: allocating on demand");
                let runtime = crate::engine::on_demand(fuel.is_some())?;
                let modules = compile_all(runtime, &sources)?
                    .ok_or_else(|| Error::msg("a module does not fit the on-demand runtime"))?;
                (runtime, modules)
            }
        };
        let main = modules
            .iter()
            .position(|m| m.name == "main")
            .ok_or_else(|| Error::msg("no main module"))?;
        let settings = Arc::new(Settings::new(manifest, with_wasi, fuel));
        if !with_wasi && !settings.allowed_paths.is_empty() {
            // As in the reference, paths only take effect through WASI; say so, since a host
            // that set them likely expected them to.
            tracing::warn!(target: "extism::plugin", "allowed_paths ignored: WASI is not enabled");
        }
        let template = PluginTemplate::new(runtime, modules, main, settings, functions)?;
        Ok(CompiledPlugin {
            template: Arc::new(template),
        })
    }

    /// Creates an independent plugin: its own store, instances, Extism memory, vars and copy
    /// of the config. Links every module and checks every import.
    pub fn instantiate(&self) -> Result<Plugin> {
        Plugin::from_template(&self.template).map_err(crate::pool::explain_address_limit)
    }
}

impl CompiledPlugin {
    /// The main module's exported functions.
    pub fn exports(&self) -> Vec<FunctionSignature> {
        exports(&self.template)
    }

    /// The main module's imported functions.
    pub fn imports(&self) -> Vec<FunctionSignature> {
        self.template
            .main_module()
            .imports()
            .filter_map(|import| match import.ty() {
                wasmtime::ExternType::Func(ty) => Some(FunctionSignature::new(
                    Some(import.module()),
                    import.name(),
                    &ty,
                )),
                _ => None,
            })
            .collect()
    }
}

impl Plugin {
    /// Compiles and links wasm, WAT or a manifest (see [`PluginBuilder`]).
    pub fn new(
        bytes: impl Into<Vec<u8>>,
        functions: impl IntoIterator<Item = Function>,
        with_wasi: bool,
    ) -> Result<Self> {
        PluginBuilder::new(bytes)
            .with_functions(functions)
            .with_wasi(with_wasi)
            .build()
    }
}

/// Compiles every module of `sources` for `runtime`; `None` when one of them does not fit its
/// pool.
fn compile_all(
    runtime: &'static Runtime,
    sources: &[(String, Cow<'_, [u8]>)],
) -> Result<Option<Vec<NamedModule>>> {
    let mut modules = Vec::with_capacity(sources.len());
    for (name, bytes) in sources {
        let Some(module) = runtime.compile(bytes)? else {
            return Ok(None);
        };
        // Main is never a command, whatever it exports: it has one instance per store.
        let command = name != "main" && module.get_export("_start").is_some();
        modules.push(NamedModule {
            name: name.clone(),
            module,
            command,
        });
    }
    Ok(Some(modules))
}

/// Whether a module is a command (a module other than main that exports `_start`): each call
/// into it makes a fresh instance (docs/abi.md §6.3).
fn has_command_library(modules: &[NamedModule]) -> bool {
    modules.iter().any(|m| m.command)
}

/// Module names by the rules of docs/abi.md §6.1.
fn module_names(wasm: &[Wasm]) -> Result<Vec<String>> {
    if wasm.len() == 1 {
        return Ok(vec!["main".to_owned()]);
    }
    let mut names: Vec<String> = Vec::with_capacity(wasm.len());
    for (i, entry) in wasm.iter().enumerate() {
        let mut name = entry.name().unwrap_or("main").to_owned();
        if i == wasm.len() - 1 && !names.iter().any(|n| n == "main") {
            name = "main".to_owned();
        }
        if names.contains(&name) || name == link::ENV {
            return Err(Error::msg(format!(
                "Duplicate module name found in Extism manifest: {name}"
            )));
        }
        names.push(name);
    }
    Ok(names)
}

/// Compiled plugins are shared across threads by C callers.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CompiledPlugin>();
};

/// Reads a manifest module's bytes and checks its hash.
fn load(wasm: &Wasm) -> Result<Cow<'_, [u8]>> {
    let bytes = match wasm {
        Wasm::File(w) => Cow::Owned(std::fs::read(&w.path).map_err(|e| {
            Error::msg(format!(
                "Unable to load Wasm file \"{}\": {}",
                w.path.display(),
                e.kind()
            ))
        })?),
        Wasm::Data(w) => match &w.data {
            DataSource::Bytes(bytes) => Cow::Borrowed(bytes.as_slice()),
            DataSource::Pointer(raw) => Cow::Owned(copy_raw(raw)?),
        },
        Wasm::Url(w) => Cow::Owned(crate::http::fetch_module(w)?),
    };
    if let Some(expected) = wasm.hash() {
        let found = sha256_hex(&bytes);
        if found != expected {
            return Err(Error::msg(format!(
                "Hash mismatch, found {found} but expected {expected}"
            )));
        }
    }
    Ok(bytes)
}

/// A copy of the bytes a manifest's `{ptr, len}` names.
fn copy_raw(raw: &RawBytes) -> Result<Vec<u8>> {
    let len = usize::try_from(raw.len).map_err(|_| Error::msg("data length too large"))?;
    if len == 0 {
        return Ok(Vec::new());
    }
    let ptr = usize::try_from(raw.ptr).map_err(|_| Error::msg("data pointer too large"))?;
    if ptr == 0 {
        return Err(Error::msg("data pointer is null"));
    }
    // SAFETY: the manifest's `{ptr, len}` form is a promise by the caller (an SDK in this
    // process) that `len` readable bytes start at `ptr` for the duration of this call;
    // NULL was excluded above.
    let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, len) };
    Ok(bytes.to_vec())
}

/// Lowercase hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::WasmData;

    #[test]
    fn checks_hashes_exactly() {
        let bytes = b"(module)".to_vec();
        let good = sha256_hex(&bytes);
        let mut wasm = WasmData {
            data: DataSource::Bytes(bytes),
            name: None,
            hash: Some(good.clone()),
        };
        assert!(load(&Wasm::Data(wasm.clone())).is_ok());
        wasm.hash = Some(good.to_uppercase());
        let err = load(&Wasm::Data(wasm)).unwrap_err();
        assert_eq!(
            err.message(),
            format!(
                "Hash mismatch, found {good} but expected {}",
                good.to_uppercase()
            )
        );
    }

    #[test]
    fn missing_file_names_the_path_and_kind() {
        let err = load(&Wasm::file("nope.wasm")).unwrap_err();
        assert_eq!(
            err.message(),
            "Unable to load Wasm file \"nope.wasm\": entity not found"
        );
    }
}
