//! Calls, return codes and errors (docs/abi.md §4.1), plugin state, and how constructor input is
//! classified, loaded and linked (§6, §7).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests report failures by panicking"
)]

mod common;

use std::collections::BTreeMap;

use extism::{Function, Manifest, Plugin, PluginBuilder, Wasm};
use sha2::{Digest, Sha256};

use common::{
    assert_cause, assert_output, build, call, cause, load, manifest_for, plugin_bytes, plugin_path,
    pseudo_random,
};

fn no_functions() -> Vec<Function> {
    Vec::new()
}

fn new_plugin(bytes: impl Into<Vec<u8>>) -> extism::Result<Plugin> {
    Plugin::new(bytes, no_functions(), false)
}

#[track_caller]
fn assert_rc(plugin: &Plugin, func: &str, rc: i32, error: Option<&str>) -> common::Call {
    let c = call(plugin, func, b"");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (rc, error),
        "{func}: output {:?}",
        c.text()
    );
    c
}

// ---- return codes (§4.1) ----

#[test]
fn export_returning_i32_gives_that_rc() {
    let plugin = load("returns.wasm", false);
    assert_rc(&plugin, "ret_42", 42, None);
    assert_rc(&plugin, "ret_neg", -7, None);
}

#[test]
fn export_returning_nothing_gives_rc_0() {
    let plugin = load("returns.wasm", false);
    let c = assert_rc(&plugin, "ret_none", 0, None);
    assert!(c.output.is_empty());
}

#[test]
fn export_returning_non_i32_gives_minus_one_without_error() {
    let plugin = load("returns.wasm", false);
    assert_rc(&plugin, "ret_i64", -1, None);
    assert_rc(&plugin, "ret_f32", -1, None);
}

#[test]
fn export_with_two_results_fails() {
    let plugin = load("returns.wasm", false);
    assert_rc(
        &plugin,
        "two_results",
        -1,
        Some("Function two_results has 2 results, expected 0 or 1"),
    );
}

#[test]
fn export_with_parameters_fails() {
    let plugin = load("returns.wasm", false);
    assert_rc(
        &plugin,
        "takes_param",
        -1,
        Some("expected 1 arguments, got 0"),
    );
}

#[test]
fn guest_error_keeps_the_returned_code() {
    let plugin = load("returns.wasm", false);
    assert_rc(&plugin, "error_rc0", 0, Some("guest error"));
    assert_rc(&plugin, "error_rc7", 7, Some("bad thing"));
}

#[test]
fn guest_error_then_trap_gives_minus_one_and_the_guest_message() {
    let plugin = load("returns.wasm", false);
    assert_rc(&plugin, "error_then_trap", -1, Some("failed before trap"));
}

#[test]
fn output_is_returned() {
    let plugin = load("returns.wasm", false);
    assert_output(&plugin, "output_hello", b"", b"hello");
    // The same through the convenience API.
    assert_eq!(plugin.call("output_hello", b"").unwrap(), b"hello");
}

#[test]
fn successful_call_clears_the_previous_error() {
    let plugin = load("returns.wasm", false);
    assert_rc(&plugin, "error_rc7", 7, Some("bad thing"));
    assert_eq!(plugin.error().as_deref(), Some("bad thing"));
    assert_rc(&plugin, "ret_42", 42, None);
    assert_eq!(plugin.error(), None);
    assert_rc(&plugin, "error_then_trap", -1, Some("failed before trap"));
    assert_output(&plugin, "output_hello", b"", b"hello");
    assert_eq!(plugin.error(), None);
}

#[test]
fn output_does_not_leak_into_the_next_call() {
    let plugin = load("returns.wasm", false);
    assert_output(&plugin, "output_hello", b"", b"hello");
    let c = assert_rc(&plugin, "ret_42", 42, None);
    assert!(c.output.is_empty(), "stale output {:?}", c.text());
}

#[test]
fn unknown_function_fails() {
    let plugin = load("returns.wasm", false);
    assert_rc(&plugin, "nope", -1, Some("Function not found: nope"));
    // Still usable.
    assert_rc(&plugin, "ret_42", 42, None);
}

#[test]
fn convenience_call_reports_errors_and_codes() {
    let plugin = load("returns.wasm", false);
    let err = plugin.call("error_rc0", b"").unwrap_err();
    assert_eq!(err.message(), "guest error");
    let err = plugin.call("nope", b"").unwrap_err();
    assert_eq!(err.message(), "Function not found: nope");
    assert!(
        plugin.call("ret_42", b"").is_err(),
        "a non-zero rc is a failure"
    );
}

// ---- traps (§4.1, D1) ----

#[track_caller]
fn assert_trap(plugin: &Plugin, func: &str, cause_words: &[&str]) {
    let c = call(plugin, func, b"");
    assert_eq!(c.rc, 134, "{func}: error {:?}", c.error);
    let error = c.error.unwrap_or_else(|| panic!("{func}: no error"));
    assert!(error.starts_with("wasm trap: "), "{func}: error {error:?}");
    let first_line = error.lines().next().unwrap_or_default().to_lowercase();
    assert!(
        cause_words.iter().any(|w| first_line.contains(w)),
        "{func}: error {error:?} does not name the cause ({cause_words:?})"
    );
    assert_ne!(error, "timeout");
}

#[test]
fn traps_give_134_and_name_their_cause() {
    let plugin = load("traps.wasm", false);
    assert_trap(&plugin, "unreachable", &["unreachable"]);
    assert_trap(&plugin, "div_zero", &["divide by zero", "division by zero"]);
    assert_trap(&plugin, "oob", &["out of bounds"]);
    assert_trap(&plugin, "stack_overflow", &["stack"]);
}

#[test]
fn plugin_keeps_working_after_a_trap() {
    let plugin = load("returns.wasm", false);
    for _ in 0..3 {
        let c = call(&plugin, "output_then_trap", b"");
        assert_eq!(c.rc, 134, "error {:?}", c.error);
        assert!(c.error.as_deref().unwrap_or("").starts_with("wasm trap: "));
        assert_output(&plugin, "output_hello", b"", b"hello");
        assert_rc(&plugin, "ret_42", 42, None);
    }
    let traps = load("traps.wasm", false);
    for _ in 0..3 {
        assert_trap(&traps, "stack_overflow", &["stack"]);
        assert_trap(&traps, "oob", &["out of bounds"]);
    }
}

// ---- function_exists (§3.8) ----

#[test]
fn function_exists_only_for_unit_and_i32_exports() {
    let plugin = load("returns.wasm", false);
    for name in ["ret_42", "ret_neg", "ret_none", "error_rc0", "output_hello"] {
        assert!(plugin.function_exists(name), "{name} should exist");
    }
    for name in [
        "ret_i64",
        "ret_f32",
        "two_results",
        "takes_param",
        "nope",
        "",
    ] {
        assert!(!plugin.function_exists(name), "{name} should not exist");
    }
    let noop = load("noop.wasm", false);
    assert!(noop.function_exists("run"));
    assert!(noop.function_exists("run_i32"));
    assert!(!noop.function_exists("memory"));
}

// ---- count_vowels: AssemblyScript PDK, config and vars ----

#[test]
fn count_vowels_counts_and_accumulates_total() {
    let plugin = load("count_vowels.wasm", false);
    assert_output(
        &plugin,
        "count_vowels",
        "Hello, World!",
        br#"{"count":3,"total":3,"vowels":"aeiouAEIOU"}"#,
    );
    assert_output(
        &plugin,
        "count_vowels",
        "Hello, World!",
        br#"{"count":3,"total":6,"vowels":"aeiouAEIOU"}"#,
    );
    assert_output(
        &plugin,
        "count_vowels",
        "AEIOU aeiou xyz",
        br#"{"count":10,"total":16,"vowels":"aeiouAEIOU"}"#,
    );
    assert_output(
        &plugin,
        "count_vowels",
        "",
        br#"{"count":0,"total":16,"vowels":"aeiouAEIOU"}"#,
    );
}

#[test]
fn count_vowels_reads_config_from_the_manifest_and_updates() {
    let mut manifest = manifest_for("count_vowels.wasm");
    manifest.config.insert("vowels".into(), "xyz".into());
    let plugin = build(manifest, false);
    assert_output(
        &plugin,
        "count_vowels",
        "xyzzy",
        br#"{"count":5,"total":5,"vowels":"xyz"}"#,
    );
    // An empty value counts as absent.
    plugin
        .update_config(BTreeMap::from([("vowels".to_owned(), Some(String::new()))]))
        .unwrap();
    assert_output(
        &plugin,
        "count_vowels",
        "banana",
        br#"{"count":3,"total":8,"vowels":"aeiouAEIOU"}"#,
    );
    plugin
        .update_config(BTreeMap::from([(
            "vowels".to_owned(),
            Some("n".to_owned()),
        )]))
        .unwrap();
    assert_output(
        &plugin,
        "count_vowels",
        "banana",
        br#"{"count":2,"total":10,"vowels":"n"}"#,
    );
    plugin
        .update_config(BTreeMap::from([("vowels".to_owned(), None)]))
        .unwrap();
    assert_output(
        &plugin,
        "count_vowels",
        "banana",
        br#"{"count":3,"total":13,"vowels":"aeiouAEIOU"}"#,
    );
}

#[test]
fn vars_are_per_plugin() {
    let compiled = PluginBuilder::new(plugin_bytes("count_vowels.wasm"))
        .compile()
        .unwrap();
    let a = compiled.instantiate().unwrap();
    let b = compiled.instantiate().unwrap();
    assert_output(
        &a,
        "count_vowels",
        "aaaa",
        br#"{"count":4,"total":4,"vowels":"aeiouAEIOU"}"#,
    );
    assert_output(
        &b,
        "count_vowels",
        "e",
        br#"{"count":1,"total":1,"vowels":"aeiouAEIOU"}"#,
    );
    assert_output(
        &a,
        "count_vowels",
        "o",
        br#"{"count":1,"total":5,"vowels":"aeiouAEIOU"}"#,
    );
}

// ---- config (§3.7, §5.3) ----

#[test]
fn config_from_manifest_and_update_config() {
    let mut manifest = manifest_for("config_var.wasm");
    manifest.config.insert("greeting".into(), "hi".into());
    manifest.config.insert("empty".into(), String::new());
    let plugin = build(manifest, false);
    assert_output(&plugin, "get_config", "greeting", b"hi");

    let c = call(&plugin, "get_config", "other");
    assert_eq!((c.rc, c.error.as_deref()), (1, Some("missing")));
    // An empty value is handed to the guest as handle 0.
    let c = call(&plugin, "get_config", "empty");
    assert_eq!((c.rc, c.error.as_deref()), (1, Some("missing")));

    plugin
        .update_config(BTreeMap::from([
            ("greeting".to_owned(), Some("hello".to_owned())),
            ("other".to_owned(), Some("value with spaces".to_owned())),
        ]))
        .unwrap();
    assert_output(&plugin, "get_config", "greeting", b"hello");
    assert_output(&plugin, "get_config", "other", b"value with spaces");

    plugin
        .update_config(BTreeMap::from([("greeting".to_owned(), None)]))
        .unwrap();
    let c = call(&plugin, "get_config", "greeting");
    assert_eq!((c.rc, c.error.as_deref()), (1, Some("missing")));
    assert_output(&plugin, "get_config", "other", b"value with spaces");
}

#[test]
fn config_changes_are_per_plugin() {
    let mut manifest = manifest_for("config_var.wasm");
    manifest.config.insert("k".into(), "v".into());
    let compiled = PluginBuilder::from_manifest(manifest).compile().unwrap();
    let a = compiled.instantiate().unwrap();
    let b = compiled.instantiate().unwrap();
    a.update_config(BTreeMap::from([(
        "k".to_owned(),
        Some("changed".to_owned()),
    )]))
    .unwrap();
    assert_output(&a, "get_config", "k", b"changed");
    assert_output(&b, "get_config", "k", b"v");
}

#[test]
fn invalid_config_key_handle_fails_the_call() {
    let plugin = load("config_var.wasm", false);
    let c = call(&plugin, "bad_config_key", b"");
    assert_eq!(c.rc, -1, "error {:?}", c.error);
    let error = c.error.unwrap_or_default();
    assert!(
        error.starts_with("invalid handle offset for config key: "),
        "error {error:?}"
    );
}

#[test]
fn vars_set_get_delete() {
    let plugin = load("config_var.wasm", false);
    assert_output(&plugin, "get_var", "k", b"none");
    assert_output(&plugin, "set_var", "k=first=value", b"");
    assert_output(&plugin, "get_var", "k", b"first=value");
    assert_output(&plugin, "set_var", "k=second", b"");
    assert_output(&plugin, "get_var", "k", b"second");
    assert_output(&plugin, "del_var", "k", b"");
    assert_output(&plugin, "get_var", "k", b"none");
    let c = call(&plugin, "set_var", "no equals sign");
    assert_eq!((c.rc, c.error.as_deref()), (1, Some("expected key=value")));
}

// ---- state across calls ----

#[test]
fn reactor_library_state_persists_across_calls() {
    let manifest = Manifest::new([
        Wasm::file(plugin_path("multi_lib.wasm")).with_name("lib"),
        Wasm::file(plugin_path("multi_main.wasm")).with_name("main"),
    ]);
    let plugin = build(manifest, false);
    assert_output(&plugin, "bump", b"", b"1");
    assert_output(&plugin, "bump", b"", b"2");
    assert_output(&plugin, "run", b"", b"42");
    assert_output(&plugin, "bump", b"", b"3");
}

// ---- input and output bytes ----

#[test]
fn echo_round_trips_small_inputs() {
    let plugin = load("echo.wasm", false);
    for len in [0usize, 1, 7, 8, 9] {
        let input = pseudo_random(len, 0x1234 + len as u64);
        assert_output(&plugin, "echo", &input, &input);
    }
}

#[test]
fn echo_round_trips_16_mib() {
    let plugin = load("echo.wasm", false);
    let input = pseudo_random(16 * 1024 * 1024, 0x5eed);
    let c = call(&plugin, "echo", &input);
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    assert_eq!(c.output.len(), input.len());
    assert!(c.output == input, "16 MiB echo differs");
    // And a small one afterwards on the same plugin.
    assert_output(&plugin, "echo", b"after", b"after");
}

// ---- input classification (§7.4) ----

const WAT_RUN_5: &str = r#"(module (func (export "run") (result i32) (i32.const 5)))"#;

#[test]
fn wat_text_is_accepted() {
    let plugin = new_plugin(WAT_RUN_5).unwrap();
    assert_rc(&plugin, "run", 5, None);
}

#[test]
fn wat_with_leading_whitespace_is_accepted() {
    let plugin = new_plugin(format!("\n \t {WAT_RUN_5}")).unwrap();
    assert_rc(&plugin, "run", 5, None);
    let plugin = new_plugin(format!(";; a comment\n{WAT_RUN_5}")).unwrap();
    assert_rc(&plugin, "run", 5, None);
    let plugin =
        new_plugin(r#"( module (func (export "run") (result i32) (i32.const 6)))"#).unwrap();
    assert_rc(&plugin, "run", 6, None);
}

#[test]
fn wat_syntax_error_fails_creation() {
    assert!(new_plugin("(module (func (export \"run\") (result i32) (i32.bogus 5)))").is_err());
}

#[test]
fn json_manifest_is_accepted() {
    let json = serde_json::json!({
        "wasm": [{"path": plugin_path("returns.wasm")}],
    });
    let plugin = new_plugin(json.to_string()).unwrap();
    assert_rc(&plugin, "ret_42", 42, None);
}

#[test]
fn json_manifest_with_config_and_base64_data() {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(plugin_bytes("config_var.wasm"));
    let json = serde_json::json!({
        "wasm": [{"data": data}],
        "config": {"a": "from json"},
    });
    let plugin = new_plugin(json.to_string()).unwrap();
    assert_output(&plugin, "get_config", "a", b"from json");
}

#[test]
fn toml_manifest_is_accepted() {
    let path = plugin_path("config_var.wasm");
    let toml = format!(
        "[[wasm]]\npath = {}\n\n[config]\na = \"from toml\"\n",
        serde_json::to_string(&path).unwrap()
    );
    let plugin = new_plugin(toml).unwrap();
    assert_output(&plugin, "get_config", "a", b"from toml");
}

#[test]
fn empty_input_has_no_wasm() {
    let err = new_plugin(Vec::new()).unwrap_err();
    assert_cause(&err, "No wasm files specified in Extism manifest");
    let err = new_plugin(r#"{"wasm":[]}"#).unwrap_err();
    assert_cause(&err, "No wasm files specified in Extism manifest");
}

#[test]
fn unknown_manifest_field_is_unknown_format() {
    let json = serde_json::json!({
        "wasm": [{"path": plugin_path("returns.wasm")}],
        "bogus": 1,
    });
    let err = new_plugin(json.to_string()).unwrap_err();
    assert_cause(&err, "Unknown manifest format");
    let err = new_plugin("this is neither wasm, WAT, TOML nor JSON {").unwrap_err();
    assert_cause(&err, "Unknown manifest format");
    let json =
        serde_json::json!({"wasm": [{"path": plugin_path("returns.wasm")}], "config": {"a": 1}});
    let err = new_plugin(json.to_string()).unwrap_err();
    assert_cause(&err, "Unknown manifest format");
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn matching_hash_is_accepted() {
    let bytes = plugin_bytes("returns.wasm");
    let json = serde_json::json!({
        "wasm": [{"path": plugin_path("returns.wasm"), "hash": sha256_hex(&bytes)}],
    });
    let plugin = new_plugin(json.to_string()).unwrap();
    assert_rc(&plugin, "ret_42", 42, None);
}

#[test]
fn wrong_hash_is_reported() {
    let bytes = plugin_bytes("returns.wasm");
    let actual = sha256_hex(&bytes);
    let given = "0".repeat(64);
    let json = serde_json::json!({
        "wasm": [{"path": plugin_path("returns.wasm"), "hash": given}],
    });
    let err = new_plugin(json.to_string()).unwrap_err();
    assert_cause(
        &err,
        &format!("Hash mismatch, found {actual} but expected {given}"),
    );
    // The comparison is exact: uppercase hex of the right digest fails too.
    let upper = actual.to_uppercase();
    let json = serde_json::json!({
        "wasm": [{"path": plugin_path("returns.wasm"), "hash": upper}],
    });
    let err = new_plugin(json.to_string()).unwrap_err();
    assert_cause(
        &err,
        &format!("Hash mismatch, found {actual} but expected {upper}"),
    );
}

#[test]
fn missing_file_is_reported() {
    let path = plugin_path("does-not-exist.wasm");
    let json = serde_json::json!({"wasm": [{"path": path}]});
    let err = new_plugin(json.to_string()).unwrap_err();
    assert_cause(
        &err,
        &format!(
            "Unable to load Wasm file \"{}\": entity not found",
            path.display()
        ),
    );
}

// ---- module names and linking (§6) ----

#[test]
fn duplicate_module_names_are_refused() {
    let manifest = Manifest::new([
        Wasm::file(plugin_path("noop.wasm")),
        Wasm::file(plugin_path("returns.wasm")),
    ]);
    let err = PluginBuilder::from_manifest(manifest).build().unwrap_err();
    assert_cause(&err, "Duplicate module name found in Extism manifest: main");

    let manifest = Manifest::new([
        Wasm::file(plugin_path("multi_lib.wasm")).with_name("lib"),
        Wasm::file(plugin_path("noop.wasm")).with_name("lib"),
        Wasm::file(plugin_path("multi_main.wasm")),
    ]);
    let err = PluginBuilder::from_manifest(manifest).build().unwrap_err();
    assert_cause(&err, "Duplicate module name found in Extism manifest: lib");

    let manifest = Manifest::new([
        Wasm::file(plugin_path("noop.wasm")).with_name("extism:host/env"),
        Wasm::file(plugin_path("returns.wasm")),
    ]);
    let err = PluginBuilder::from_manifest(manifest).build().unwrap_err();
    assert_cause(
        &err,
        "Duplicate module name found in Extism manifest: extism:host/env",
    );
}

#[test]
fn multi_module_linking() {
    let manifest = Manifest::new([
        Wasm::file(plugin_path("multi_lib.wasm")).with_name("lib"),
        Wasm::file(plugin_path("multi_main.wasm")).with_name("main"),
    ]);
    let plugin = build(manifest, false);
    assert_output(&plugin, "run", b"", b"42");
    // Only main's exports are callable.
    assert!(!plugin.function_exists("add"));
    assert_rc(&plugin, "add", -1, Some("Function not found: add"));
}

#[test]
fn last_module_becomes_main_when_none_is_named_main() {
    let manifest = Manifest::new([
        Wasm::file(plugin_path("multi_lib.wasm")).with_name("lib"),
        Wasm::file(plugin_path("multi_main.wasm")).with_name("app"),
    ]);
    let plugin = build(manifest, false);
    assert_output(&plugin, "run", b"", b"42");
}

#[test]
fn single_module_is_main_whatever_its_name() {
    let manifest = Manifest::new([Wasm::file(plugin_path("returns.wasm")).with_name("other")]);
    let plugin = build(manifest, false);
    assert_rc(&plugin, "ret_42", 42, None);
}

#[test]
fn library_order_in_manifest_does_not_matter() {
    let manifest = Manifest::new([
        Wasm::file(plugin_path("multi_main.wasm")).with_name("main"),
        Wasm::file(plugin_path("multi_lib.wasm")).with_name("lib"),
    ]);
    let plugin = build(manifest, false);
    assert_output(&plugin, "run", b"", b"42");
}

#[test]
fn command_modules_get_a_fresh_instance_per_call() {
    let manifest = Manifest::new([
        Wasm::file(plugin_path("command_lib.wasm")).with_name("cmd"),
        Wasm::file(plugin_path("command_main.wasm")).with_name("main"),
    ]);
    let plugin = build(manifest, false);
    assert_output(&plugin, "run", b"", b"1,1");
    assert_output(&plugin, "run", b"", b"1,1");
}

#[test]
fn missing_import_fails_at_creation() {
    let err = new_plugin(plugin_bytes("host_fn_hello.wasm")).unwrap_err();
    assert_cause(
        &err,
        "unknown import: `extism:host/user::hello_world` has not been defined",
    );
    // The compile stage alone succeeds; linking is what fails.
    let compiled = PluginBuilder::new(plugin_bytes("host_fn_hello.wasm"))
        .compile()
        .unwrap();
    let err = compiled.instantiate().unwrap_err();
    assert_cause(
        &err,
        "unknown import: `extism:host/user::hello_world` has not been defined",
    );
}

#[test]
fn missing_library_module_fails_at_creation() {
    let err = new_plugin(plugin_bytes("multi_main.wasm")).unwrap_err();
    let cause = cause(&err);
    assert!(
        cause.starts_with("unknown import: `lib::") && cause.ends_with("` has not been defined"),
        "error {:?}",
        err.message()
    );
}

const ENV_NOTE: &str = "Note: This may indicate that the PDK that was used to build this plugin \
has additional features that aren't available in this version of the SDK, try updating the SDK \
to the latest version.";

#[test]
fn invalid_env_function_import_fails_at_creation() {
    let wat = r#"(module
        (import "extism:host/env" "nope" (func $nope (param i64) (result i32)))
        (func (export "run") (result i32) (call $nope (i64.const 0))))"#;
    let err = new_plugin(wat).unwrap_err();
    let cause = cause(&err);
    assert!(
        cause.starts_with("Invalid function import from extism:host/env: nope"),
        "error {:?}",
        err.message()
    );
    assert!(
        cause.contains(&format!("\n\n{ENV_NOTE}")),
        "error {cause:?}"
    );
}

#[test]
fn non_function_env_import_fails_at_creation() {
    let wat = r#"(module (import "extism:host/env" "memory" (memory 1))
        (func (export "run")))"#;
    let err = new_plugin(wat).unwrap_err();
    assert_cause(
        &err,
        "linked modules cannot access non-function exports of extism kernel",
    );
}

// ---- reset (§3.11) ----

#[test]
fn reset_releases_output_and_plugin_keeps_working() {
    let plugin = load("returns.wasm", false);
    assert_output(&plugin, "output_hello", b"", b"hello");
    plugin.reset().unwrap();
    assert!(
        plugin.output().is_empty(),
        "output after reset: {:?}",
        plugin.output()
    );
    assert_output(&plugin, "output_hello", b"", b"hello");
    plugin.reset().unwrap();
    plugin.reset().unwrap();
    assert_rc(&plugin, "ret_42", 42, None);
}

#[test]
fn reset_keeps_vars_and_module_state() {
    let plugin = load("config_var.wasm", false);
    assert_output(&plugin, "set_var", "k=v", b"");
    plugin.reset().unwrap();
    assert_output(&plugin, "get_var", "k", b"v");

    let manifest = Manifest::new([
        Wasm::file(plugin_path("multi_lib.wasm")).with_name("lib"),
        Wasm::file(plugin_path("multi_main.wasm")).with_name("main"),
    ]);
    let plugin = build(manifest, false);
    assert_output(&plugin, "bump", b"", b"1");
    plugin.reset().unwrap();
    assert_output(&plugin, "bump", b"", b"2");
}

// ---- identity ----

#[test]
fn plugin_ids_are_distinct_uuid_v4() {
    let a = load("noop.wasm", false);
    let b = load("noop.wasm", false);
    assert_ne!(a.id(), b.id());
    for id in [a.id(), b.id()] {
        assert_eq!(id[6] >> 4, 4, "UUID version");
        assert_eq!(id[8] >> 6, 0b10, "UUID variant");
    }
    let before = *a.id();
    assert_rc(&a, "run", 0, None);
    assert_eq!(*a.id(), before);
}
