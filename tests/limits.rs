//! Limits: timeouts and cancellation (docs/abi.md §8.1, D4), fuel (§8.2), `memory.max_pages` and
//! `memory.max_var_bytes` (§7.3), the ceilings on memories and tables, nesting depth, and
//! calls from threads with small stacks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests report failures by panicking"
)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use extism::{Function, Manifest, Plugin, PluginBuilder, Val, Wasm, PTR};

use common::{
    assert_output, build, call, manifest_for, plugin_bytes, pseudo_random, Call, COMPILE_PREFIX,
};

/// A generous bound for things that must happen "soon".
const SOON: Duration = Duration::from_secs(5);

fn traps_with_timeout(ms: u64) -> Plugin {
    let mut manifest = manifest_for("traps.wasm");
    manifest.timeout_ms = Some(ms);
    build(manifest, false)
}

#[track_caller]
fn assert_timeout(c: &Call) {
    assert_eq!((c.rc, c.error.as_deref()), (134, Some("timeout")), "{c:?}");
}

#[track_caller]
fn assert_trap(c: &Call) {
    assert_eq!(c.rc, 134, "{c:?}");
    let error = c.error.clone().unwrap_or_default();
    assert!(error.starts_with("wasm trap: "), "error {error:?}");
}

/// `spin` loops forever; `quick` returns 7; `work` runs a 10,000-iteration counting loop
/// (about 70,000 instructions) and returns 0.
const SPIN_WAT: &str = r#"(module
  (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0))
  (func (export "quick") (result i32) (i32.const 7))
  (func (export "work") (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10000))))
    (i32.const 0)))"#;

// ---- timeouts (§8.1) ----

#[test]
fn timeout_stops_an_infinite_loop() {
    let plugin = traps_with_timeout(100);
    for _ in 0..2 {
        let start = Instant::now();
        let c = call(&plugin, "infinite_loop", b"");
        let elapsed = start.elapsed();
        assert_timeout(&c);
        assert!(
            elapsed >= Duration::from_millis(100),
            "stopped after {elapsed:?}"
        );
        assert!(elapsed < SOON, "took {elapsed:?}");
    }
    // The plugin still runs code afterwards, and a trap is not reported as a timeout.
    assert_trap(&call(&plugin, "unreachable", b""));
}

#[test]
fn timeout_does_not_affect_later_calls() {
    let manifest = Manifest {
        timeout_ms: Some(100),
        ..Manifest::new([Wasm::data(SPIN_WAT)])
    };
    let plugin = build(manifest, false);
    assert_timeout(&call(&plugin, "spin", b""));
    let c = call(&plugin, "quick", b"");
    assert_eq!((c.rc, c.error.as_deref()), (7, None));
    // Idle time longer than the timeout does not count against the next call.
    std::thread::sleep(Duration::from_millis(250));
    for _ in 0..20 {
        let c = call(&plugin, "work", b"");
        assert_eq!((c.rc, c.error.as_deref()), (0, None));
    }
    assert_timeout(&call(&plugin, "spin", b""));
}

/// Runs `func` on `plugin` while another thread cancels it once after `delay`; if that cancel
/// is lost, keeps cancelling after `SOON` so the test fails instead of hanging.
fn call_and_cancel(plugin: &Plugin, func: &str, delay: Duration) -> (Call, Duration) {
    let handle = plugin.cancel_handle();
    let done = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&done);
    let start = Instant::now();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(delay);
        assert!(handle.cancel());
        let give_up = Instant::now() + SOON;
        while !d.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
            if Instant::now() > give_up {
                handle.cancel();
            }
        }
    });
    let c = call(plugin, func, b"");
    let elapsed = start.elapsed();
    done.store(true, Ordering::SeqCst);
    canceller.join().unwrap();
    (c, elapsed)
}

#[test]
fn cancel_from_another_thread_five_times() {
    let plugin = load_traps();
    // Instantiate main first, so that every cancel below lands in a running export.
    assert_trap(&call(&plugin, "unreachable", b""));
    for round in 0..5 {
        let (c, elapsed) = call_and_cancel(&plugin, "infinite_loop", Duration::from_millis(200));
        assert_timeout(&c);
        assert!(
            elapsed >= Duration::from_millis(200),
            "round {round}: {elapsed:?}"
        );
        assert!(elapsed < SOON, "round {round}: cancel took {elapsed:?}");
    }
    assert_trap(&call(&plugin, "unreachable", b""));
}

fn load_traps() -> Plugin {
    common::load("traps.wasm", false)
}

#[test]
fn cancel_while_idle_does_nothing() {
    let plugin = build(Manifest::new([Wasm::data(SPIN_WAT)]), false);
    let handle = plugin.cancel_handle();
    assert!(handle.cancel());
    assert!(handle.cancel());
    for _ in 0..3 {
        let c = call(&plugin, "work", b"");
        assert_eq!((c.rc, c.error.as_deref()), (0, None));
    }
    let c = call(&plugin, "quick", b"");
    assert_eq!((c.rc, c.error.as_deref()), (7, None));
    // And a real cancel still works afterwards.
    let (c, elapsed) = call_and_cancel(&plugin, "spin", Duration::from_millis(200));
    assert_timeout(&c);
    assert!(elapsed < SOON);
    let c = call(&plugin, "quick", b"");
    assert_eq!((c.rc, c.error.as_deref()), (7, None));
}

/// Runs `infinite_loop` on `plugin` in a new thread; the flag is set when it returns.
fn spawn_loop(plugin: Arc<Plugin>) -> (std::thread::JoinHandle<(Call, Duration)>, Arc<AtomicBool>) {
    let done = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&done);
    let handle = std::thread::spawn(move || {
        let start = Instant::now();
        let c = call(&plugin, "infinite_loop", b"");
        let elapsed = start.elapsed();
        d.store(true, Ordering::SeqCst);
        (c, elapsed)
    });
    (handle, done)
}

#[test]
fn timeouts_of_different_plugins_are_independent() {
    let short = Arc::new(traps_with_timeout(100));
    let long = Arc::new(traps_with_timeout(2000));
    let (long_thread, long_done) = spawn_loop(Arc::clone(&long));
    let (short_thread, _) = spawn_loop(Arc::clone(&short));
    let (c, elapsed) = short_thread.join().unwrap();
    assert_timeout(&c);
    assert!(elapsed < SOON, "short timeout took {elapsed:?}");
    assert!(
        !long_done.load(Ordering::SeqCst),
        "the long call ended with the short one"
    );
    let (c, elapsed) = long_thread.join().unwrap();
    assert_timeout(&c);
    assert!(
        elapsed >= Duration::from_millis(1500),
        "long call stopped after {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2) + SOON,
        "long call took {elapsed:?}"
    );
}

#[test]
fn siblings_of_one_compiled_plugin_have_separate_timeouts_and_cancels() {
    let mut manifest = manifest_for("traps.wasm");
    manifest.timeout_ms = Some(2000);
    let compiled = PluginBuilder::from_manifest(manifest).compile().unwrap();
    let a = compiled.instantiate().unwrap();
    let b = Arc::new(compiled.instantiate().unwrap());
    // Instantiate main in both first.
    assert_trap(&call(&a, "unreachable", b""));
    assert_trap(&call(&b, "unreachable", b""));

    let (b_thread, b_done) = spawn_loop(Arc::clone(&b));
    let (c, elapsed) = call_and_cancel(&a, "infinite_loop", Duration::from_millis(100));
    assert_timeout(&c);
    assert!(
        elapsed < Duration::from_millis(1500),
        "cancel took {elapsed:?}"
    );
    assert!(
        !b_done.load(Ordering::SeqCst),
        "cancelling one sibling stopped the other"
    );
    let (c, elapsed) = b_thread.join().unwrap();
    assert_timeout(&c);
    assert!(
        elapsed >= Duration::from_millis(1500),
        "sibling stopped after {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2) + SOON,
        "sibling took {elapsed:?}"
    );
}

#[test]
fn sibling_timeout_does_not_stop_a_plugin_without_timeout() {
    // One plugin times out quickly while a plugin from the same bytes but without a timeout
    // keeps running until it is cancelled.
    let short = Arc::new(traps_with_timeout(100));
    let free = Arc::new(load_traps());
    assert_trap(&call(&free, "unreachable", b""));
    let cancel = free.cancel_handle();
    let (free_thread, free_done) = spawn_loop(Arc::clone(&free));
    let (short_thread, _) = spawn_loop(short);
    let (c, _) = short_thread.join().unwrap();
    assert_timeout(&c);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !free_done.load(Ordering::SeqCst),
        "another plugin's timeout stopped this call"
    );
    cancel.cancel();
    let (c, _) = free_thread.join().unwrap();
    assert_timeout(&c);
}

// ---- fuel (§8.2) ----

#[test]
fn fuel_limit_of_one_runs_out_every_time() {
    let plugin = PluginBuilder::new(plugin_bytes("traps.wasm"))
        .with_fuel_limit(1)
        .build()
        .unwrap();
    for _ in 0..3 {
        let c = call(&plugin, "infinite_loop", b"");
        assert_eq!(
            (c.rc, c.error.as_deref()),
            (-1, Some("plugin ran out of fuel"))
        );
    }
    let plugin = PluginBuilder::new(plugin_bytes("returns.wasm"))
        .with_fuel_limit(1)
        .build()
        .unwrap();
    for func in ["output_hello", "error_rc7", "output_hello"] {
        let c = call(&plugin, func, b"");
        assert_eq!(
            (c.rc, c.error.as_deref()),
            (-1, Some("plugin ran out of fuel")),
            "{func}"
        );
    }
}

#[test]
fn main_failing_to_start_leaves_no_instance_behind() {
    // The start function loops until the fuel runs out, so every call fails while
    // instantiating main. wasmtime frees an instance only with its store and a store holds
    // at most 10,000, so retrying in one store would fail differently after that many calls.
    let wat = r#"(module
      (func $spin (loop $forever (br $forever)))
      (start $spin)
      (func (export "run") (result i32) (i32.const 0)))"#;
    let plugin = PluginBuilder::new(wat)
        .with_fuel_limit(100)
        .build()
        .unwrap();
    plugin.var_set("kept", b"yes").unwrap();
    for i in 0..10_050 {
        let c = call(&plugin, "run", b"");
        assert_eq!(
            (c.rc, c.error.as_deref()),
            (-1, Some("plugin ran out of fuel")),
            "call {i}"
        );
    }
    // The new stores keep the vars the host set.
    assert_eq!(
        plugin.var_get("kept").unwrap().as_deref(),
        Some(&b"yes"[..])
    );
}

#[test]
fn larger_fuel_budget_lets_plugins_run() {
    let plugin = PluginBuilder::new(plugin_bytes("noop.wasm"))
        .with_fuel_limit(1_000_000)
        .build()
        .unwrap();
    for _ in 0..3 {
        let c = call(&plugin, "run", b"");
        assert_eq!((c.rc, c.error.as_deref()), (0, None));
        let c = call(&plugin, "run_i32", b"");
        assert_eq!((c.rc, c.error.as_deref()), (0, None));
    }
    let plugin = PluginBuilder::new(plugin_bytes("returns.wasm"))
        .with_fuel_limit(1_000_000)
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_output(&plugin, "output_hello", b"", b"hello");
    }
}

#[test]
fn fuel_is_refilled_for_every_call() {
    // `work` costs about 70,000 units; 50 calls would need 3.5 million without refills.
    let plugin = PluginBuilder::new(SPIN_WAT)
        .with_fuel_limit(1_000_000)
        .build()
        .unwrap();
    for _ in 0..50 {
        let c = call(&plugin, "work", b"");
        assert_eq!((c.rc, c.error.as_deref()), (0, None));
    }
    let c = call(&plugin, "spin", b"");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("plugin ran out of fuel"))
    );
    let c = call(&plugin, "work", b"");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (0, None),
        "not refilled after exhaustion"
    );
}

#[test]
fn fuel_unit_is_about_one_per_instruction() {
    // `work` executes roughly 70,000 instructions: a tenth of that must not be enough.
    let plugin = PluginBuilder::new(SPIN_WAT)
        .with_fuel_limit(7_000)
        .build()
        .unwrap();
    let c = call(&plugin, "work", b"");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("plugin ran out of fuel"))
    );
    let c = call(&plugin, "quick", b"");
    assert_eq!((c.rc, c.error.as_deref()), (7, None));
}

#[test]
fn fuel_exhaustion_takes_precedence_over_guest_error() {
    let wat = r#"(module
      (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
      (import "extism:host/env" "error_set" (func $error_set (param i64)))
      (func (export "error_then_spin") (result i32)
        (call $error_set (call $alloc (i64.const 4)))
        (loop $l (br $l))
        (i32.const 0)))"#;
    let plugin = PluginBuilder::new(wat)
        .with_fuel_limit(10_000)
        .build()
        .unwrap();
    let c = call(&plugin, "error_then_spin", b"");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("plugin ran out of fuel"))
    );
}

#[test]
fn fuel_with_compiled_plugin_applies_to_each_plugin() {
    let compiled = PluginBuilder::new(plugin_bytes("traps.wasm"))
        .with_fuel_limit(10_000)
        .compile()
        .unwrap();
    for _ in 0..2 {
        let plugin = compiled.instantiate().unwrap();
        let c = call(&plugin, "infinite_loop", b"");
        assert_eq!(
            (c.rc, c.error.as_deref()),
            (-1, Some("plugin ran out of fuel"))
        );
    }
}

// ---- memory.max_pages (§7.3) ----

fn with_max_pages(name: &str, pages: u32) -> Plugin {
    let mut manifest = manifest_for(name);
    manifest.memory.max_pages = Some(pages);
    build(manifest, false)
}

#[track_caller]
fn assert_oom(c: &Call) {
    assert_eq!((c.rc, c.error.as_deref()), (-1, Some("oom")), "{c:?}");
}

#[test]
fn grow_bomb_is_refused_with_oom() {
    let plugin = with_max_pages("traps.wasm", 4);
    assert_oom(&call(&plugin, "grow_bomb", b""));
    assert_oom(&call(&plugin, "grow_bomb", b""));
    assert_trap(&call(&plugin, "unreachable", b""));
}

#[test]
fn alloc_bomb_is_refused_with_oom() {
    let plugin = with_max_pages("traps.wasm", 4);
    assert_oom(&call(&plugin, "alloc_bomb", b""));
    assert_trap(&call(&plugin, "unreachable", b""));
}

#[test]
fn large_input_over_budget_is_oom_and_small_inputs_still_work() {
    let plugin = with_max_pages("echo.wasm", 16);
    let big = pseudo_random(64 * 1024 * 1024, 99);
    let c = call(&plugin, "echo", &big);
    assert_oom(&c);
    assert_output(&plugin, "echo", b"hello", b"hello");
    let small = pseudo_random(1000, 5);
    assert_output(&plugin, "echo", &small, &small);
    assert_oom(&call(&plugin, "echo", &big));
    assert_output(&plugin, "echo", b"again", b"again");
}

#[test]
fn max_pages_zero_fails_the_first_call() {
    let plugin = with_max_pages("traps.wasm", 0);
    assert_oom(&call(&plugin, "unreachable", b""));
}

#[test]
fn initial_memory_must_fit_the_budget() {
    let wat = r#"(module (memory 17) (func (export "run") (result i32) (i32.const 3)))"#;
    let mut manifest = Manifest::new([Wasm::data(wat)]);
    manifest.memory.max_pages = Some(16);
    let plugin = build(manifest.clone(), false);
    assert_oom(&call(&plugin, "run", b""));
    manifest.memory.max_pages = Some(17);
    let plugin = build(manifest, false);
    let c = call(&plugin, "run", b"");
    assert_eq!((c.rc, c.error.as_deref()), (3, None));
}

#[test]
fn without_max_pages_large_inputs_work() {
    let plugin = common::load("echo.wasm", false);
    let big = pseudo_random(20 * 1024 * 1024, 7);
    let c = call(&plugin, "echo", &big);
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    assert!(c.output == big, "echo differs");
}

// ---- memory.max_var_bytes (§7.3, §5.3) ----

fn config_var_with_var_limit(limit: u64) -> Plugin {
    let mut manifest = manifest_for("config_var.wasm");
    manifest.memory.max_var_bytes = Some(limit);
    build(manifest, false)
}

#[test]
fn vars_disabled_with_zero_limit() {
    let plugin = config_var_with_var_limit(0);
    let c = call(&plugin, "set_var", "a=b");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("Vars are disabled by this host"))
    );
    // Deletes are refused too, and reads still work.
    let c = call(&plugin, "del_var", "a");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("Vars are disabled by this host"))
    );
    assert_output(&plugin, "get_var", "a", b"none");
}

#[test]
fn var_store_full() {
    // Each entry costs key + value + 48 bytes: "a" + 10 bytes = 59, so two fit in 118.
    let plugin = config_var_with_var_limit(118);
    assert_output(&plugin, "set_var", "a=0123456789", b"");
    assert_output(&plugin, "set_var", "b=9876543210", b"");
    let c = call(&plugin, "set_var", "c=x");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("Variable store is full"))
    );
    // Replacing an entry counts the old one as well: 118 + 59 > 118.
    let c = call(&plugin, "set_var", "a=abcdefghij");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("Variable store is full"))
    );
    assert_output(&plugin, "get_var", "a", b"0123456789");
    assert_output(&plugin, "get_var", "b", b"9876543210");
    assert_output(&plugin, "get_var", "c", b"none");
}

#[test]
fn default_var_limit_is_one_mib() {
    let plugin = common::load("config_var.wasm", false);
    let limit = 1024 * 1024;
    // 1 + value + 48 <= 1 MiB fits ...
    let fits = format!("k={}", "v".repeat(limit - 49));
    assert_output(&plugin, "set_var", &fits, b"");
    assert_output(&plugin, "del_var", "k", b"");
    // ... one byte more does not.
    let too_big = format!("k={}", "v".repeat(limit - 48));
    let c = call(&plugin, "set_var", &too_big);
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("Variable store is full"))
    );
    assert_output(&plugin, "get_var", "k", b"none");
}

// ---- ceilings on memories and tables, with and without max_pages ----

/// The process's resident memory, in bytes.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Asserts that the process grew by less than `bytes` since `before` (other tests of this
/// binary run at the same time, so the bound is loose).
#[track_caller]
fn assert_grew_less_than(before: u64, bytes: u64) {
    let now = resident_bytes();
    assert!(
        now.saturating_sub(before) < bytes,
        "resident memory grew from {} MiB to {} MiB",
        before >> 20,
        now >> 20
    );
}

#[track_caller]
fn assert_rc(plugin: &Plugin, func: &str, rc: i32) {
    let c = call(plugin, func, b"");
    assert_eq!((c.rc, c.error.as_deref()), (rc, None), "{func}");
}

/// A memory64 memory of no declared maximum. `grow_4gib` and `grow_page` return what
/// `memory.grow` by 65,536 pages (4 GiB) or by one page returns (the old size in pages, or -1);
/// `pages` returns the size; `touch_top` stores 7 in the last byte below 4 GiB and loads it.
const MEMORY64_WAT: &str = r#"(module
  (memory i64 0)
  (func (export "grow_4gib") (result i32)
    (i32.wrap_i64 (memory.grow (i64.const 65536))))
  (func (export "grow_page") (result i32)
    (i32.wrap_i64 (memory.grow (i64.const 1))))
  (func (export "pages") (result i32)
    (i32.wrap_i64 (memory.size)))
  (func (export "touch_top") (result i32)
    (i32.store8 (i64.const 0xFFFFFFFF) (i32.const 7))
    (i32.load8_u (i64.const 0xFFFFFFFF))))"#;

#[test]
fn memory64_stops_at_4_gib_without_max_pages() {
    let before = resident_bytes();
    let plugin = PluginBuilder::new(MEMORY64_WAT).build().unwrap();
    assert_rc(&plugin, "grow_4gib", 0);
    // Past 4 GiB, growth is refused as it is for a wasm32 memory: memory.grow returns -1.
    assert_rc(&plugin, "grow_4gib", -1);
    assert_rc(&plugin, "grow_page", -1);
    assert_rc(&plugin, "pages", 65536);
    assert_rc(&plugin, "touch_top", 7);
    assert_grew_less_than(before, 1 << 30);
}

#[test]
fn memory64_declaring_more_than_4_gib_needs_max_pages() {
    let wat = |pages: u64| {
        format!(r#"(module (memory i64 {pages}) (func (export "run") (result i32) (i32.const 3)))"#)
    };
    let before = resident_bytes();
    let plugin = PluginBuilder::new(wat(65537)).build().unwrap();
    let c = call(&plugin, "run", b"");
    assert_eq!(c.rc, -1, "{c:?}");
    let error = c.error.unwrap_or_default();
    assert!(error.contains("memory minimum size"), "error {error:?}");
    let plugin = PluginBuilder::new(wat(65536)).build().unwrap();
    assert_rc(&plugin, "run", 3);
    // A budget set by the host takes the place of the ceiling.
    let mut manifest = Manifest::new([Wasm::data(wat(65537))]);
    manifest.memory.max_pages = Some(65537);
    assert_rc(&build(manifest.clone(), false), "run", 3);
    // From a compiled plugin: a memory larger than the serving engine keeps for reuse.
    let compiled = PluginBuilder::from_manifest(manifest).compile().unwrap();
    for _ in 0..2 {
        assert_rc(&compiled.instantiate().unwrap(), "run", 3);
    }
    assert_grew_less_than(before, 1 << 30);
}

/// A `max_pages` budget above 4 GiB does not take a memory that starts below 4 GiB past its
/// 4 GiB reservation, which compiled code takes as the memory's bound: in a pool slot,
/// allocated on demand (a second memory keeps the module out of the pool) and in the serving
/// engine, with and without fuel, memory.grow returns -1 there, and the byte just below 4 GiB
/// stays in reach.
#[test]
fn memory64_stops_at_its_reservation_whatever_the_budget() {
    let before = resident_bytes();
    let on_demand = MEMORY64_WAT.replacen("(memory i64 0)", "(memory i64 0) (memory $other 0)", 1);
    for wat in [MEMORY64_WAT, on_demand.as_str()] {
        for fuel in [None, Some(u64::MAX)] {
            let mut manifest = Manifest::new([Wasm::data(wat)]);
            manifest.memory.max_pages = Some(65536 + 16);
            let mut builder = PluginBuilder::from_manifest(manifest);
            if let Some(fuel) = fuel {
                builder = builder.with_fuel_limit(fuel);
            }
            // Pooled (or on demand), and from a compiled plugin in the serving engine.
            let plugins = [
                builder.clone().build().unwrap(),
                builder.compile().unwrap().instantiate().unwrap(),
            ];
            for plugin in plugins {
                assert_rc(&plugin, "grow_4gib", 0);
                assert_rc(&plugin, "grow_page", -1);
                assert_rc(&plugin, "pages", 65536);
                assert_rc(&plugin, "touch_top", 7);
            }
        }
    }
    assert_grew_less_than(before, 1 << 30);
}

/// One funcref table of 1 element in a 1-page memory. `grow_huge` grows the table by 10^8
/// elements, `grow_1000` by 1,000 and `grow_130000` by 130,000, each returning what
/// `table.grow` returns (the old size or -1); `grow_memory` grows the memory by one page and
/// returns what `memory.grow` returns; `size` returns the table's size.
const TABLE_WAT: &str = r#"(module
  (memory 1)
  (table $t 1 funcref)
  (func (export "grow_huge") (result i32)
    (table.grow $t (ref.null func) (i32.const 100000000)))
  (func (export "grow_1000") (result i32)
    (table.grow $t (ref.null func) (i32.const 1000)))
  (func (export "grow_130000") (result i32)
    (table.grow $t (ref.null func) (i32.const 130000)))
  (func (export "grow_memory") (result i32)
    (memory.grow (i32.const 1)))
  (func (export "size") (result i32)
    (table.size $t)))"#;

fn table_plugin(max_pages: Option<u32>) -> Plugin {
    let mut manifest = Manifest::new([Wasm::data(TABLE_WAT)]);
    manifest.memory.max_pages = max_pages;
    build(manifest, false)
}

#[test]
fn table_growth_draws_on_max_pages() {
    let before = resident_bytes();
    // 16 pages are 1 MiB, room for 131,072 elements of 8 bytes.
    let plugin = table_plugin(Some(16));
    assert_rc(&plugin, "grow_huge", -1);
    assert_rc(&plugin, "size", 1);
    assert_rc(&plugin, "grow_1000", 1);
    assert_rc(&plugin, "size", 1001);
    // 1,000 + 130,000 elements take 1,048,000 of the 1,048,576 bytes; 1,000 more do not fit.
    assert_rc(&plugin, "grow_130000", 1001);
    assert_rc(&plugin, "grow_1000", -1);
    assert_rc(&plugin, "size", 131001);
    // Memory draws on the same budget: 576 bytes are left, less than a page.
    let c = call(&plugin, "grow_memory", b"");
    assert_eq!((c.rc, c.error.as_deref()), (-1, Some("oom")));
    assert_grew_less_than(before, 512 << 20);
}

#[test]
fn tables_stop_at_ten_million_elements() {
    let before = resident_bytes();
    for max_pages in [None, Some(u32::MAX)] {
        let plugin = table_plugin(max_pages);
        assert_rc(&plugin, "grow_huge", -1);
        assert_rc(&plugin, "grow_1000", 1);
        assert_rc(&plugin, "size", 1001);
    }
    let wat = |elements: u32| {
        format!(
            r#"(module (table {elements} funcref) (func (export "run") (result i32) (i32.const 3)))"#
        )
    };
    let c = call(
        &PluginBuilder::new(wat(10_000_001)).build().unwrap(),
        "run",
        b"",
    );
    assert_eq!(c.rc, -1, "{c:?}");
    let error = c.error.unwrap_or_default();
    assert!(error.contains("table minimum size"), "error {error:?}");
    assert_grew_less_than(before, 512 << 20);
}

#[test]
fn initial_tables_must_fit_the_budget() {
    // At instantiation a table is checked against the whole budget, not deducted from it, so
    // a module whose memory fills the budget exactly still starts.
    let wat = |elements: u32| {
        format!(
            r#"(module (memory 16) (table {elements} funcref)
                 (func (export "run") (result i32) (i32.const 3)))"#
        )
    };
    let with_budget = |elements: u32| {
        let mut manifest = Manifest::new([Wasm::data(wat(elements))]);
        manifest.memory.max_pages = Some(16);
        build(manifest, false)
    };
    assert_rc(&with_budget(131_072), "run", 3);
    let c = call(&with_budget(131_073), "run", b"");
    assert_eq!(c.rc, -1, "{c:?}");
    let error = c.error.unwrap_or_default();
    assert!(error.contains("table minimum size"), "error {error:?}");
}

// ---- nesting depth ----

/// A number no earlier build of a test module used, so that no cache (in memory or on disk)
/// holds the module it goes into and building that module compiles it.
fn nonce() -> i64 {
    static COUNT: AtomicI64 = AtomicI64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    now.wrapping_mul(1000)
        .wrapping_add(COUNT.fetch_add(1, Ordering::Relaxed))
}

/// A module whose `run` (function 1) nests `depth` blocks (with an i32 result when `results`)
/// and returns 7. No cache holds it.
fn nested_blocks(depth: usize, results: bool) -> String {
    let open = if results {
        "block (result i32)\n"
    } else {
        "block\n"
    };
    let mut wat = format!(
        "(module (func (export \"nonce\") (result i64) (i64.const {}))\n",
        nonce()
    );
    wat.push_str("(func (export \"run\") (result i32)\n");
    wat.push_str(&open.repeat(depth));
    if results {
        wat.push_str("i32.const 7\n");
        wat.push_str(&"end\n".repeat(depth));
    } else {
        wat.push_str(&"end\n".repeat(depth));
        wat.push_str("i32.const 7\n");
    }
    wat.push_str("))");
    wat
}

#[test]
fn modules_nested_too_deeply_are_refused_before_compiling() {
    let expected = |found: usize| {
        format!(
            "function 1 nests blocks more than 10000 deep, the most this library compiles \
             (found {found} before stopping)"
        )
    };
    for (depth, results) in [(50_000, false), (20_000, true)] {
        let start = Instant::now();
        let err = PluginBuilder::new(nested_blocks(depth, results))
            .compile()
            .unwrap_err();
        assert_eq!(err.message(), expected(10_001));
        // Compiling 20,000 nested result blocks takes seconds and most of a GiB.
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }
    // Through the C API, with the compile-stage prefix.
    let wat = nested_blocks(50_000, false);
    let mut errmsg: *mut std::ffi::c_char = std::ptr::null_mut();
    // SAFETY: `wat` outlives the call, no functions are passed, and `errmsg` is a valid
    // out-parameter whose string is freed below.
    let plugin = unsafe {
        extism::ffi::plugin::extism_plugin_new(
            wat.as_ptr(),
            wat.len() as u64,
            std::ptr::null_mut(),
            0,
            false,
            &mut errmsg,
        )
    };
    assert!(plugin.is_null());
    assert!(!errmsg.is_null());
    // SAFETY: a non-NULL errmsg is a NUL-terminated string owned by the caller.
    let text = unsafe { std::ffi::CStr::from_ptr(errmsg) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: `errmsg` came from `extism_plugin_new` and is freed once.
    unsafe { extism::ffi::plugin::extism_plugin_new_error_free(errmsg) };
    assert_eq!(text, format!("{COMPILE_PREFIX}{}", expected(10_001)));
}

#[test]
fn modules_nested_up_to_the_limit_compile() {
    let plugin = PluginBuilder::new(nested_blocks(100, true))
        .build()
        .unwrap();
    assert_rc(&plugin, "run", 7);
    let plugin = PluginBuilder::new(nested_blocks(10_000, false))
        .build()
        .unwrap();
    assert_rc(&plugin, "run", 7);
}

// ---- calls from threads with small stacks ----

/// Runs `f` on a new thread with `kib` KiB of stack.
fn on_small_stack<T: Send + 'static>(kib: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(kib * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[track_caller]
fn assert_stack_exhausted(c: &Call) {
    assert_trap(c);
    let error = c.error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("wasm trap: call stack exhausted"),
        "error {error:?}"
    );
}

/// A module no cache holds, so that building it compiles it; `run` returns 7.
fn uncached_module() -> String {
    format!(
        r#"(module (func (export "run") (result i32) (i32.const 7))
             (func (export "nonce") (result i64) (i64.const {})))"#,
        nonce()
    )
}

#[test]
fn plugins_compile_on_a_small_thread_stack() {
    for kib in [128, 256] {
        let c = on_small_stack(kib, || {
            let plugin = PluginBuilder::new(uncached_module()).build().unwrap();
            call(&plugin, "run", b"")
        });
        assert_eq!((c.rc, c.error.as_deref()), (7, None), "{kib} KiB");
    }
}

#[test]
fn guest_recursion_on_a_small_thread_stack_traps() {
    for kib in [128, 256, 512] {
        let (first, second, after) = on_small_stack(kib, || {
            let plugin = load_traps();
            let first = call(&plugin, "stack_overflow", b"");
            let second = call(&plugin, "stack_overflow", b"");
            (first, second, call(&plugin, "unreachable", b""))
        });
        assert_stack_exhausted(&first);
        assert_stack_exhausted(&second);
        assert!(
            after.error.unwrap_or_default().contains("unreachable"),
            "{kib} KiB"
        );
    }
}

#[test]
fn host_functions_of_a_call_on_a_small_stack_run_on_the_calling_thread() {
    // The host function records its thread and calls another plugin that recurses without
    // bound: a call from a host function has room for the guest too.
    let results = on_small_stack(256, || {
        let caller = std::thread::current().id();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let traps = load_traps();
        let hello = Function::new(
            "hello_world",
            [PTR],
            [PTR],
            move |_, params: &[Val], results: &mut [Val]| {
                let nested = call(&traps, "stack_overflow", b"");
                record
                    .lock()
                    .unwrap()
                    .push((std::thread::current().id(), nested));
                results[0] = params[0];
                Ok(())
            },
        );
        let plugin = Plugin::new(plugin_bytes("host_fn_hello.wasm"), [hello], false).unwrap();
        let c = call(&plugin, "call_hello", b"small stack");
        let seen = seen.lock().unwrap().clone();
        (caller, c, seen)
    });
    let (caller, c, seen) = results;
    assert_eq!((c.rc, c.error.as_deref()), (0, None));
    assert_eq!(c.output, b"small stack");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, caller);
    assert_stack_exhausted(&seen[0].1);
}
