//! Arbitrary bytes → input classification, manifest parsing and compilation, as done by
//! `PluginBuilder::new(bytes).compile()`. Errors are fine; panics are not.
//!
//! Extra checks on input that parses as a manifest:
//! - serialising it to JSON (what SDKs send to `extism_plugin_new`) and parsing that again
//!   gives the same manifest;
//! - a manifest that names files, URLs or raw pointers is compiled with those modules removed
//!   (see `common::self_contained`), through `PluginBuilder::from_manifest`.

#![no_main]

mod common;

use extism::{Manifest, PluginBuilder};
use libfuzzer_sys::fuzz_target;

fn check_json_round_trip(manifest: &Manifest) {
    let json = match serde_json::to_string(manifest) {
        Ok(json) => json,
        Err(err) => panic!("a parsed manifest does not serialise: {err}\n{manifest:?}"),
    };
    let back = match Manifest::parse(json.as_bytes()) {
        Ok(back) => back,
        Err(err) => panic!("a serialised manifest does not parse back: {err}\n{json}"),
    };
    let again = serde_json::to_string(&back).unwrap_or_default();
    assert_eq!(json, again, "JSON round trip changed the manifest");
}

fuzz_target!(init: common::disable_disk_cache(), |data: &[u8]| {
    if let Ok(manifest) = Manifest::parse(data) {
        check_json_round_trip(&manifest);
    }
    match common::unsafe_manifest(data) {
        Some(mut manifest) => {
            manifest.wasm.retain(common::self_contained);
            let _ = PluginBuilder::from_manifest(manifest).compile();
        }
        None => {
            let _ = PluginBuilder::new(data).compile();
        }
    }
});
