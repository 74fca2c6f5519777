//! The manifest: which modules make up a plugin and what the plugin may do.
//!
//! The same structure is accepted as TOML or JSON (docs/abi.md §7), and every object rejects
//! unknown keys.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Default `memory.max_var_bytes`: 1 MiB.
pub const DEFAULT_MAX_VAR_BYTES: u64 = 1024 * 1024;
/// Default `memory.max_http_response_bytes`: 50 MiB.
pub const DEFAULT_MAX_HTTP_RESPONSE_BYTES: u64 = 50 * 1024 * 1024;

/// A plugin description: its modules, limits, configuration and capabilities.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The modules; the one named `main` (or the only one) is the one whose exports are called.
    #[serde(default)]
    pub wasm: Vec<Wasm>,
    /// Memory limits.
    #[serde(default)]
    pub memory: MemoryOptions,
    /// Values the guest reads with `config_get`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Host globs `http_request` may reach; `None` or empty denies every host.
    #[serde(default)]
    pub allowed_hosts: Option<Vec<String>>,
    /// Host directory → guest path, preopened for WASI; a `ro:` key prefix mounts read-only.
    #[serde(default)]
    pub allowed_paths: Option<BTreeMap<String, PathBuf>>,
    /// Wall-clock limit for each call, in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Memory limits of a manifest.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryOptions {
    /// Budget, in 64 KiB pages, for the plugin's memory growth.
    #[serde(default)]
    pub max_pages: Option<u32>,
    /// Largest response body `http_request` accepts; `None` means 50 MiB.
    #[serde(default)]
    pub max_http_response_bytes: Option<u64>,
    /// Limit of the var store; `None` means 1 MiB, 0 disables `var_set`.
    #[serde(default)]
    pub max_var_bytes: Option<u64>,
}

/// One module of a manifest.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Wasm {
    /// Read from a file when the plugin is compiled.
    File(WasmFile),
    /// Given inline.
    Data(WasmData),
    /// Fetched over HTTP when the plugin is compiled.
    Url(WasmUrl),
}

/// A module read from a file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WasmFile {
    /// The file; relative paths resolve against the working directory.
    pub path: PathBuf,
    /// Module name used for linking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expected lowercase hex SHA-256 of the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// A module given inline.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WasmData {
    /// The module bytes.
    pub data: DataSource,
    /// Module name used for linking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expected lowercase hex SHA-256 of the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// A module fetched from a URL.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WasmUrl {
    /// Where to fetch the module.
    pub url: String,
    /// Request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request method, default `GET`.
    #[serde(default)]
    pub method: Option<String>,
    /// Module name used for linking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expected lowercase hex SHA-256 of the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// Inline module bytes: base64 text, or a raw address in this process.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum DataSource {
    /// Standard base64 with padding.
    Bytes(#[serde(deserialize_with = "base64_bytes", serialize_with = "bytes_base64")] Vec<u8>),
    /// `len` bytes at address `ptr` of this process, copied at load time. The caller
    /// guarantees that the memory is readable.
    Pointer(RawBytes),
}

/// An address and a length, as SDKs pass module bytes without base64.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBytes {
    /// Address of the first byte.
    pub ptr: u64,
    /// Number of bytes.
    pub len: u64,
}

fn bytes_base64<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn base64_bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(deserializer)?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(serde::de::Error::custom)
}

impl Manifest {
    /// A manifest with the given modules and default settings.
    pub fn new(wasm: impl IntoIterator<Item = Wasm>) -> Self {
        Manifest {
            wasm: wasm.into_iter().collect(),
            ..Manifest::default()
        }
    }

    /// Parses a manifest from TOML or, failing that, JSON.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        tracing::trace!(target: "extism::manifest", "Loading manifest");
        let text = std::str::from_utf8(bytes).map_err(|_| unknown_format())?;
        if let Ok(manifest) = toml::from_str::<Manifest>(text) {
            tracing::trace!(target: "extism::manifest", "Manifest is TOML");
            return Ok(manifest);
        }
        let manifest = serde_json::from_str::<Manifest>(text).map_err(|_| unknown_format())?;
        tracing::trace!(target: "extism::manifest", "Manifest is JSON");
        Ok(manifest)
    }

    /// The effective var-store limit.
    pub fn max_var_bytes(&self) -> u64 {
        self.memory.max_var_bytes.unwrap_or(DEFAULT_MAX_VAR_BYTES)
    }

    /// The effective HTTP response limit.
    pub fn max_http_response_bytes(&self) -> u64 {
        self.memory
            .max_http_response_bytes
            .unwrap_or(DEFAULT_MAX_HTTP_RESPONSE_BYTES)
    }
}

impl Wasm {
    /// A module fetched from `url` with a GET request.
    pub fn url(url: impl Into<String>) -> Self {
        Wasm::Url(WasmUrl {
            url: url.into(),
            headers: BTreeMap::new(),
            method: None,
            name: None,
            hash: None,
        })
    }

    /// A module read from `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Wasm::File(WasmFile {
            path: path.into(),
            name: None,
            hash: None,
        })
    }

    /// A module given as bytes (wasm or WAT).
    pub fn data(bytes: impl Into<Vec<u8>>) -> Self {
        Wasm::Data(WasmData {
            data: DataSource::Bytes(bytes.into()),
            name: None,
            hash: None,
        })
    }

    /// This module with a link name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        let name = Some(name.into());
        match &mut self {
            Wasm::File(w) => w.name = name,
            Wasm::Data(w) => w.name = name,
            Wasm::Url(w) => w.name = name,
        }
        self
    }

    /// The link name given in the manifest, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Wasm::File(w) => w.name.as_deref(),
            Wasm::Data(w) => w.name.as_deref(),
            Wasm::Url(w) => w.name.as_deref(),
        }
    }

    /// The expected SHA-256 of the module's bytes, in hex, if the manifest gives one.
    pub(crate) fn hash(&self) -> Option<&str> {
        match self {
            Wasm::File(w) => w.hash.as_deref(),
            Wasm::Data(w) => w.hash.as_deref(),
            Wasm::Url(w) => w.hash.as_deref(),
        }
    }
}

fn unknown_format() -> Error {
    Error::msg("Unknown manifest format")
}

/// What a constructor's input bytes turned out to be (docs/abi.md §7.4).
#[derive(Debug)]
pub(crate) enum Source {
    /// A single module, wasm binary or WAT text, with the default manifest.
    Module,
    /// A manifest.
    Manifest(Manifest),
}

/// Classifies constructor input: wasm magic, then WAT text (leading whitespace allowed), then a
/// TOML or JSON manifest; bytes that are none of these are handed to the compiler.
pub(crate) fn classify(bytes: &[u8]) -> Result<Source> {
    if bytes.starts_with(b"\0asm") {
        return Ok(Source::Module);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if looks_like_wat(text) => Ok(Source::Module),
        Ok(_) => Manifest::parse(bytes).map(Source::Manifest),
        Err(_) => Ok(Source::Module),
    }
}

fn looks_like_wat(text: &str) -> bool {
    let text = text.trim_start();
    if text.starts_with(";;") || text.starts_with("(;") {
        return true;
    }
    text.strip_prefix('(')
        .is_some_and(|rest| rest.trim_start().starts_with("module"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_wasm_wat_and_manifests() {
        assert!(matches!(classify(b"\0asm\x01\0\0\0"), Ok(Source::Module)));
        assert!(matches!(classify(b"(module)"), Ok(Source::Module)));
        assert!(matches!(classify(b"\n  ( module)"), Ok(Source::Module)));
        assert!(matches!(classify(b";; c\n(module)"), Ok(Source::Module)));
        assert!(matches!(classify(b"\xff\xfe"), Ok(Source::Module)));
        let Ok(Source::Manifest(m)) = classify(br#"{"wasm":[{"path":"a.wasm"}]}"#) else {
            panic!("json manifest not recognised");
        };
        assert_eq!(m.wasm.len(), 1);
        let Ok(Source::Manifest(m)) = classify(b"timeout_ms = 5\n[[wasm]]\npath = \"a.wasm\"\n")
        else {
            panic!("toml manifest not recognised");
        };
        assert_eq!(m.timeout_ms, Some(5));
        let Ok(Source::Manifest(empty)) = classify(b"") else {
            panic!("empty input is an empty manifest");
        };
        assert!(empty.wasm.is_empty());
    }

    #[test]
    fn rejects_unknown_fields_and_bad_types() {
        for bad in [
            r#"{"wasm":[{"path":"a"}],"bogus":1}"#,
            r#"{"wasm":[{"path":"a","extra":true}]}"#,
            r#"{"wasm":5}"#,
            r#"{"wasm":[{"data":"!!not base64"}]}"#,
            r#"{"config":{"a":1}}"#,
            r#"{"memory":{"max_pages":1,"other":2}}"#,
        ] {
            let err = Manifest::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(err.message(), "Unknown manifest format", "{bad}");
        }
    }

    #[test]
    fn parses_every_wasm_form_and_limit() {
        let m = Manifest::parse(
            br#"{"wasm":[{"data":"AGFzbQ==","name":"a","hash":"x"},
                         {"data":{"ptr":1,"len":2}},
                         {"url":"http://h/m.wasm","method":"post","headers":{"k":"v"}}],
                 "memory":{"max_pages":3,"max_var_bytes":0},
                 "config":{"k":"v"},"allowed_hosts":["*.a"],"allowed_paths":{"/tmp":"/t"},
                 "timeout_ms":10}"#,
        )
        .unwrap();
        let Wasm::Data(WasmData {
            data: DataSource::Bytes(bytes),
            ..
        }) = &m.wasm[0]
        else {
            panic!("base64 data not decoded");
        };
        assert_eq!(bytes, b"\0asm");
        assert!(matches!(
            m.wasm[1],
            Wasm::Data(WasmData {
                data: DataSource::Pointer(RawBytes { ptr: 1, len: 2 }),
                ..
            })
        ));
        assert!(matches!(&m.wasm[2], Wasm::Url(u) if u.headers["k"] == "v"));
        assert_eq!(m.memory.max_pages, Some(3));
        assert_eq!(m.max_var_bytes(), 0);
        assert_eq!(m.max_http_response_bytes(), DEFAULT_MAX_HTTP_RESPONSE_BYTES);
        assert_eq!(Manifest::default().max_var_bytes(), DEFAULT_MAX_VAR_BYTES);
    }

    #[test]
    fn serializes_back_to_an_equivalent_manifest() {
        let mut manifest = Manifest::new([
            Wasm::data(b"\0asm".to_vec()).with_name("lib"),
            Wasm::file("m.wasm"),
        ]);
        manifest.timeout_ms = Some(7);
        let json = serde_json::to_string(&manifest).unwrap();
        let back = Manifest::parse(json.as_bytes()).unwrap();
        assert!(
            matches!(&back.wasm[0], Wasm::Data(d) if d.name.as_deref() == Some("lib")
            && matches!(&d.data, DataSource::Bytes(b) if b == b"\0asm"))
        );
        assert!(matches!(&back.wasm[1], Wasm::File(f) if f.path == std::path::Path::new("m.wasm")));
        assert_eq!(back.timeout_ms, Some(7));
    }
}
