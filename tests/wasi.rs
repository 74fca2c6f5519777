//! WASI preview1 (docs/abi.md §8.3), WASI exit codes (§4.1), guest-runtime initialisation (§6.4,
//! D5) and the store rebuild after `_start` (§6.5).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests report failures by panicking"
)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use extism::{Function, Plugin, PluginBuilder};

use common::{assert_output, build, call, cause, load, manifest_for, plugin_bytes};

// ---- wasi_hello ----

#[test]
fn greet_with_wasi() {
    let plugin = load("wasi_hello.wasm", true);
    assert_output(&plugin, "greet", "World", b"Hello, World!");
    assert_output(&plugin, "greet", "", b"Hello, !");
    assert_output(&plugin, "greet", "again", b"Hello, again!");
}

#[test]
fn random_bytes_with_wasi() {
    let plugin = load("wasi_hello.wasm", true);
    let first = call(&plugin, "random_bytes", b"");
    assert_eq!((first.rc, first.error.as_deref()), (0, None));
    let second = call(&plugin, "random_bytes", b"");
    assert_eq!((second.rc, second.error.as_deref()), (0, None));
    for c in [&first, &second] {
        assert_eq!(c.output.len(), 32, "output {:?}", c.text());
        assert!(
            c.output
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)),
            "not lowercase hex: {:?}",
            c.text()
        );
    }
    assert_ne!(
        first.output, second.output,
        "two draws of 16 random bytes are equal"
    );
}

#[test]
fn clock_with_wasi() {
    let plugin = load("wasi_hello.wasm", true);
    let c = call(&plugin, "clock", b"");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    let seconds: u64 = c
        .text()
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {:?}", c.text()));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        now.abs_diff(seconds) < 24 * 3600,
        "guest clock {seconds}, host {now}"
    );
}

#[test]
fn without_wasi_creation_fails_naming_wasi() {
    let err = Plugin::new(
        plugin_bytes("wasi_hello.wasm"),
        Vec::<Function>::new(),
        false,
    )
    .unwrap_err();
    let cause = cause(&err);
    assert!(
        cause.starts_with("unknown import: `wasi_snapshot_preview1::")
            && cause.ends_with("` has not been defined"),
        "error {:?}",
        err.message()
    );

    let err = Plugin::new(
        plugin_bytes("wasi_exit.wasm"),
        Vec::<Function>::new(),
        false,
    )
    .unwrap_err();
    common::assert_cause(
        &err,
        "unknown import: `wasi_snapshot_preview1::proc_exit` has not been defined",
    );
}

#[test]
fn sandbox_has_no_host_files_by_default() {
    let plugin = load("wasi_hello.wasm", true);
    let c = call(&plugin, "read_file", "/etc/passwd");
    assert_eq!(c.rc, 1, "read_file succeeded: {:?}", c.text());
    let error = c.error.unwrap_or_default();
    assert!(
        error.starts_with("read_file: /etc/passwd: "),
        "error {error:?}"
    );
}

/// A fresh, empty directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("extism-wasi-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn allowed_paths_are_preopened() {
    let dir = temp_dir("rw");
    std::fs::write(dir.join("from_host.txt"), "host data").unwrap();
    let mut manifest = manifest_for("wasi_hello.wasm");
    manifest.allowed_paths = Some(BTreeMap::from([(
        dir.to_string_lossy().into_owned(),
        PathBuf::from("/data"),
    )]));
    let plugin = build(manifest, true);
    assert_output(&plugin, "read_file", "/data/from_host.txt", b"host data");
    assert_output(
        &plugin,
        "write_file",
        "/data/from_guest.txt\nguest data",
        b"",
    );
    assert_eq!(
        std::fs::read(dir.join("from_guest.txt")).unwrap(),
        b"guest data"
    );
    assert_output(
        &plugin,
        "list_dir",
        "/data",
        b"from_guest.txt\nfrom_host.txt",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_only_allowed_paths_refuse_writes() {
    let dir = temp_dir("ro");
    std::fs::write(dir.join("a.txt"), "readable").unwrap();
    let mut manifest = manifest_for("wasi_hello.wasm");
    manifest.allowed_paths = Some(BTreeMap::from([(
        format!("ro:{}", dir.to_string_lossy()),
        PathBuf::from("/ro"),
    )]));
    let plugin = build(manifest, true);
    assert_output(&plugin, "read_file", "/ro/a.txt", b"readable");
    let c = call(&plugin, "write_file", "/ro/b.txt\nnope");
    assert_eq!(c.rc, 1, "write succeeded");
    let error = c.error.unwrap_or_default();
    assert!(
        error.starts_with("write_file: /ro/b.txt: "),
        "error {error:?}"
    );
    assert!(!dir.join("b.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_allowed_path_fails_creation() {
    let mut manifest = manifest_for("wasi_hello.wasm");
    let missing = std::env::temp_dir().join(format!("extism-wasi-{}-missing", std::process::id()));
    manifest.allowed_paths = Some(BTreeMap::from([(
        missing.to_string_lossy().into_owned(),
        PathBuf::from("/data"),
    )]));
    let result = PluginBuilder::from_manifest(manifest)
        .with_wasi(true)
        .build();
    assert!(
        result.is_err(),
        "a missing preopen directory must fail creation"
    );
}

/// A plugin of `name` with `mount` preopened at `/data`.
fn mounted(name: &str, mount: &std::path::Path) -> Plugin {
    let mut manifest = manifest_for(name);
    manifest.allowed_paths = Some(BTreeMap::from([(
        mount.to_string_lossy().into_owned(),
        PathBuf::from("/data"),
    )]));
    build(manifest, true)
}

/// Calls `func` of `wasi_links` with `input` and returns the errno it reports.
fn link_errno(plugin: &Plugin, func: &str, input: &str) -> String {
    let c = call(plugin, func, input);
    assert_eq!((c.rc, c.error.as_deref()), (0, None), "{func} {input:?}");
    c.text()
}

/// A guest cannot plant a symlink or hard link that leads out of its mount (docs/abi.md §8.3):
/// such calls fail with EPERM (63) and leave nothing behind; links that stay inside work.
#[test]
fn guest_links_cannot_lead_out_of_a_mount() {
    const EPERM: &str = "63";
    let base = temp_dir("links");
    let mount = base.join("mount");
    std::fs::create_dir_all(mount.join("inner")).unwrap();
    std::fs::write(base.join("secret.txt"), "secret").unwrap();
    std::fs::write(mount.join("file"), "inside").unwrap();
    // A link the host placed in the mount, leading out of it.
    std::os::unix::fs::symlink("../secret.txt", mount.join("host_outward")).unwrap();
    let plugin = mounted("wasi_links.wasm", &mount);
    let absent = |name: &str| {
        let path = mount.join(name);
        assert!(
            std::fs::symlink_metadata(&path).is_err(),
            "{} was created (-> {:?})",
            path.display(),
            std::fs::read_link(&path)
        );
    };

    // Targets that leave the mount, directly or after the guest moves the link or follows one
    // of its own links: refused.
    for (target, link) in [
        ("../secret.txt", "evil"),
        ("/etc/passwd", "absolute"),
        ("inner/../../secret.txt", "climb"),
        ("inner/../file", "dotdot"),
        ("../file", "inner/up"),
    ] {
        let errno = link_errno(&plugin, "symlink", &format!("{target}\n{link}"));
        assert_eq!(errno, EPERM, "symlink {link} -> {target}");
        absent(link);
    }
    // `self -> .` stays inside, but `self/../secret.txt` would climb out through it.
    assert_eq!(link_errno(&plugin, "symlink", ".\nself"), "0");
    assert_eq!(
        link_errno(&plugin, "symlink", "self/../secret.txt\nthrough_self"),
        EPERM
    );
    absent("through_self");

    // Targets made of names stay inside, and the guest can use them.
    assert_eq!(link_errno(&plugin, "symlink", "file\ngood"), "0");
    assert_eq!(
        link_errno(&plugin, "symlink", "../file\ninner/up").as_str(),
        EPERM
    );
    assert_eq!(
        link_errno(&plugin, "symlink", "inner/./deeper\ninner_link"),
        "0"
    );
    assert_eq!(
        std::fs::read_link(mount.join("good")).unwrap(),
        PathBuf::from("file")
    );
    assert_eq!(
        std::fs::read_link(mount.join("inner_link")).unwrap(),
        PathBuf::from("inner/./deeper")
    );
    let reader = mounted("wasi_hello.wasm", &mount);
    assert_output(&reader, "read_file", "/data/good", b"inside");

    // Hard links: of a symlink (the host's outward one, or the guest's own), refused; of a
    // file, made.
    assert_eq!(link_errno(&plugin, "link", "host_outward\ncopy"), EPERM);
    absent("copy");
    assert_eq!(link_errno(&plugin, "link", "good\ngood_copy"), EPERM);
    absent("good_copy");
    assert_eq!(link_errno(&plugin, "link", "file\nfile_copy"), "0");
    assert_eq!(std::fs::read(mount.join("file_copy")).unwrap(), b"inside");

    // A target outside the guest's memory fails the call, as wasmtime-wasi's own check does.
    let c = call(&plugin, "symlink_oob", "oob");
    assert_eq!(c.rc, -1);
    let error = c.error.unwrap_or_default();
    assert!(
        error.starts_with("Pointer out of bounds"),
        "error {error:?}"
    );
    absent("oob");
    let _ = std::fs::remove_dir_all(&base);
}

/// A hard link never copies a symlink into place, even when the host swaps the old path
/// between a file and a symlink leading out of the mount while the guest links it: a link
/// either names a regular file or is refused and left out.
#[test]
fn a_symlink_renamed_into_place_while_linking_is_not_linked() {
    const ATTEMPTS: usize = 3000;
    let base = temp_dir("link_race");
    let mount = base.join("mount");
    std::fs::create_dir_all(&mount).unwrap();
    std::fs::write(base.join("secret.txt"), "secret").unwrap();
    std::fs::write(mount.join("old"), "inside").unwrap();
    let plugin = mounted("wasi_links.wasm", &mount);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (mount, stop) = (mount.clone(), stop.clone());
        std::thread::spawn(move || {
            let (file, link, old) = (mount.join(".file"), mount.join(".link"), mount.join("old"));
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::fs::write(&file, "inside").unwrap();
                std::fs::rename(&file, &old).unwrap();
                std::os::unix::fs::symlink("../secret.txt", &link).unwrap();
                std::fs::rename(&link, &old).unwrap();
            }
        })
    };
    let mut made = 0;
    for i in 0..ATTEMPTS {
        let errno = link_errno(&plugin, "link", &format!("old\ncopy{i}"));
        let copy = mount.join(format!("copy{i}"));
        match std::fs::symlink_metadata(&copy) {
            Ok(meta) => {
                assert_eq!(errno, "0", "copy{i} exists after errno {errno}");
                assert!(
                    meta.is_file(),
                    "copy{i} is a symlink: {:?}",
                    std::fs::read_link(&copy)
                );
                made += 1;
            }
            Err(_) => assert_ne!(errno, "0", "copy{i} missing after success"),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    swapper.join().unwrap();
    assert!(made > 0, "no link was made in {ATTEMPTS} attempts");
    let _ = std::fs::remove_dir_all(&base);
}

// ---- WASI exit codes (§4.1, §8.3) ----

#[test]
fn exit0_is_success() {
    let plugin = load("wasi_exit.wasm", true);
    let c = call(&plugin, "exit0", b"");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
}

#[test]
fn exit3_gives_rc_3() {
    let plugin = load("wasi_exit.wasm", true);
    let c = call(&plugin, "exit3", b"");
    assert_eq!(c.rc, 3, "error {:?}", c.error);
    assert!(c.error.is_some(), "a non-zero exit reports an error");
    // The plugin keeps working after an exit.
    let c = call(&plugin, "exit0", b"");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    let c = call(&plugin, "exit3", b"");
    assert_eq!(c.rc, 3, "error {:?}", c.error);
}

#[test]
fn exit500_gives_rc_500() {
    let plugin = load("wasi_exit.wasm", true);
    let c = call(&plugin, "exit500", b"");
    assert_eq!(c.rc, 500, "error {:?}", c.error);
    assert!(c.error.is_some());
}

#[test]
fn exit_after_guest_error_gives_minus_one_and_the_guest_message() {
    // §4.1 order: a guest error wins over the WASI exit; the export did not return normally.
    let plugin = load("wasi_exit.wasm", true);
    let c = call(&plugin, "exit_after_error", b"");
    assert_eq!((c.rc, c.error.as_deref()), (-1, Some("bye")));
    let c = call(&plugin, "exit0", b"");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
}

// ---- guest-runtime initialisation (§6.4, D5) ----

#[test]
fn init_order_runs_initialize_then_hs_init_once() {
    let plugin = load("init_order.wasm", false);
    for _ in 0..3 {
        assert_output(&plugin, "order", b"", b"IH");
    }
}

#[test]
fn ctors_preferred_over_initialize() {
    let plugin = load("ctors.wasm", false);
    for _ in 0..3 {
        assert_output(&plugin, "order", b"", b"C");
    }
}

#[test]
fn reactor_initialize_runs_once_per_instance() {
    let plugin = load("reactor_init.wasm", false);
    for _ in 0..3 {
        assert_output(&plugin, "count", b"", b"1");
    }
    let compiled = PluginBuilder::new(plugin_bytes("reactor_init.wasm"))
        .compile()
        .unwrap();
    for _ in 0..3 {
        let p = compiled.instantiate().unwrap();
        assert_output(&p, "count", b"", b"1");
        assert_output(&p, "count", b"", b"1");
    }
}

#[test]
fn wasi_reactor_initialises_once() {
    // wasi_hello is a wasi-libc reactor: its init runs once, and calls keep working.
    let plugin = load("wasi_hello.wasm", true);
    for i in 0..5 {
        let name = format!("n{i}");
        assert_output(
            &plugin,
            "greet",
            &name,
            format!("Hello, {name}!").as_bytes(),
        );
    }
}

// ---- `_start` and the store rebuild (§6.5) ----

#[test]
fn start_can_be_called_repeatedly_and_resets_state() {
    let plugin = load("start.wasm", false);
    assert_output(&plugin, "count", b"", b"1");
    assert_output(&plugin, "count", b"", b"2");
    assert_output(&plugin, "get_runs", b"", b"none");

    let c = call(&plugin, "_start", b"");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    // The call after `_start` runs on a new instance with emptied vars.
    assert_output(&plugin, "get_runs", b"", b"none");
    assert_output(&plugin, "count", b"", b"1");
    assert_output(&plugin, "count", b"", b"2");

    for _ in 0..2 {
        let c = call(&plugin, "_start", b"");
        assert_eq!((c.rc, c.error.as_deref()), (0, None));
    }
    assert_output(&plugin, "count", b"", b"1");
}

#[test]
fn start_many_times() {
    // A plugin can be called any number of times without hitting per-store limits.
    let plugin = load("start.wasm", false);
    for _ in 0..200 {
        let c = call(&plugin, "_start", b"");
        assert_eq!((c.rc, c.error.as_deref()), (0, None));
    }
    assert_output(&plugin, "count", b"", b"1");
}

#[test]
fn vars_set_by_the_host_after_start_reach_the_next_call() {
    let plugin = load("start.wasm", false);
    let c = call(&plugin, "_start", b"");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    // `_start` stored var "runs", but the next call starts with no vars, and the host sees
    // the vars as that call will.
    assert_eq!(plugin.var_get("runs").unwrap(), None);
    plugin.var_set("runs", b"host").unwrap();
    assert_output(&plugin, "get_runs", b"", b"host");
    // Still a new instance.
    assert_output(&plugin, "count", b"", b"1");
}

/// `_start` does nothing; `get_config` outputs config "k"; `set_marker` sets var "m" to "x";
/// `get_marker` outputs var "m". Missing values are output as "none".
const START_CONFIG_WAT: &str = r#"(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (memory 1)
  (data (i32.const 0) "k")
  (data (i32.const 16) "m")
  (data (i32.const 32) "x")
  (data (i32.const 48) "none")
  (func $block (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32)
    (local.set $h (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (call $store_u8
          (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $h))
  (func $out (param $h i64)
    (if (i64.eqz (local.get $h))
      (then (local.set $h (call $block (i32.const 48) (i32.const 4)))))
    (call $output_set (local.get $h) (call $length (local.get $h))))
  (func (export "_start"))
  (func (export "get_config") (result i32)
    (call $out (call $config_get (call $block (i32.const 0) (i32.const 1))))
    (i32.const 0))
  (func (export "set_marker") (result i32)
    (call $var_set
      (call $block (i32.const 16) (i32.const 1))
      (call $block (i32.const 32) (i32.const 1)))
    (i32.const 0))
  (func (export "get_marker") (result i32)
    (call $out (call $var_get (call $block (i32.const 16) (i32.const 1))))
    (i32.const 0)))"#;

#[test]
fn start_empties_vars_but_keeps_config() {
    let plugin = PluginBuilder::new(START_CONFIG_WAT).build().unwrap();
    assert_output(&plugin, "get_config", b"", b"none");
    plugin
        .update_config(BTreeMap::from([("k".to_owned(), Some("v1".to_owned()))]))
        .unwrap();
    assert_output(&plugin, "get_config", b"", b"v1");
    assert_output(&plugin, "set_marker", b"", b"");
    assert_output(&plugin, "get_marker", b"", b"x");

    let c = call(&plugin, "_start", b"");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    assert_output(&plugin, "get_marker", b"", b"none");
    assert_output(&plugin, "get_config", b"", b"v1");

    // A config change made after `_start` is seen after the rebuild as well.
    assert_output(&plugin, "set_marker", b"", b"");
    let c = call(&plugin, "_start", b"");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    plugin
        .update_config(BTreeMap::from([("k".to_owned(), Some("v2".to_owned()))]))
        .unwrap();
    assert_output(&plugin, "get_config", b"", b"v2");
    assert_output(&plugin, "get_marker", b"", b"none");
    // Without `_start` in between, vars persist.
    assert_output(&plugin, "set_marker", b"", b"");
    assert_output(&plugin, "get_config", b"", b"v2");
    assert_output(&plugin, "get_marker", b"", b"x");
}

/// `two_timers`: `poll_oneoff` on two relative monotonic-clock subscriptions (20 ms and 40 ms);
/// returns 0 when at least one clock event came back without an error, 100 + errno when the
/// call failed, 1 otherwise. Two subscriptions take wasmtime-wasi's general path, which waits
/// on timers of the tokio runtime WASI calls run in.
const TWO_TIMERS_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "two_timers") (result i32)
    (local $errno i32)
    (i64.store (i32.const 0) (i64.const 1))
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 20000000))
    (i64.store (i32.const 48) (i64.const 2))
    (i32.store8 (i32.const 56) (i32.const 0))
    (i32.store (i32.const 64) (i32.const 1))
    (i64.store (i32.const 72) (i64.const 40000000))
    (local.set $errno (call $poll (i32.const 0) (i32.const 256) (i32.const 2) (i32.const 512)))
    (if (local.get $errno) (then (return (i32.add (i32.const 100) (local.get $errno)))))
    (if (i32.and
          (i32.ge_u (i32.load (i32.const 512)) (i32.const 1))
          (i32.and (i32.eqz (i32.load16_u (i32.const 264))) (i32.eqz (i32.load8_u (i32.const 266)))))
      (then (return (i32.const 0))))
    (i32.const 1)))"#;

#[test]
fn clock_subscriptions_fire() {
    // The timers are driven by the runtime's worker thread, not by the waiting call; a runtime
    // whose timers nothing drives would leave the call waiting for good, so it runs on a
    // thread of its own and a missing answer fails the test instead.
    let (done, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let plugin = Plugin::new(TWO_TIMERS_WAT, Vec::<Function>::new(), true).unwrap();
        let _ = done.send(call(&plugin, "two_timers", b""));
    });
    let c = answer
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("poll_oneoff on two clocks did not return");
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
}
