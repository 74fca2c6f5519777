//! Host functions through the Rust API (docs/abi.md §3.3, §3.13, D2, D3, D6).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests report failures by panicking"
)]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use extism::{
    CallOutcome, CurrentPlugin, Error, Function, Plugin, PluginBuilder, Val, ValType, PTR,
};

use common::{assert_output, call, plugin_bytes};

/// What `hello_world` saw on one call.
#[derive(Debug, Clone, Default)]
struct Seen {
    handle: u64,
    length: u64,
    block: Option<Vec<u8>>,
    bytes: Option<Vec<u8>>,
    scratch_length: u64,
    scratch_length_after_free: u64,
    id: [u8; 16],
}

/// `hello_world`: reads the input block it is given and returns a new block
/// "Hello, <input>!".
fn hello_world(seen: Arc<Mutex<Vec<Seen>>>) -> Function {
    Function::new(
        "hello_world",
        [PTR],
        [PTR],
        move |cp: &mut CurrentPlugin<'_>, params, results| {
            let handle = params[0].unwrap_i64() as u64;
            let block = cp.block(handle).map(<[u8]>::to_vec);
            let length = cp.length(handle);
            let bytes = cp.bytes(handle, length).map(<[u8]>::to_vec);
            // A scratch block of our own, released again.
            let scratch = cp.alloc(16);
            let scratch_length = cp.length(scratch);
            cp.free(scratch);
            let scratch_length_after_free = cp.length(scratch);
            let mut reply = b"Hello, ".to_vec();
            reply.extend_from_slice(block.as_deref().unwrap_or(b"<invalid>"));
            reply.push(b'!');
            let out = cp.alloc_bytes(&reply)?;
            results[0] = Val::I64(out as i64);
            seen.lock().unwrap().push(Seen {
                handle,
                length,
                block,
                bytes,
                scratch_length,
                scratch_length_after_free,
                id: cp.id(),
            });
            Ok(())
        },
    )
}

/// Arguments each numeric host function received.
#[derive(Debug, Default)]
struct Args {
    add_i32: Vec<(i32, i32)>,
    add_i64: Vec<(i64, i64)>,
    mul_f32: Vec<(f32, f32)>,
    mul_f64: Vec<(f64, f64)>,
    pair: usize,
    custom_shout: usize,
}

/// Every import of host_fn.wasm, plus a `shout` in the default namespace that must never run.
fn host_fn_functions(
    seen: Arc<Mutex<Vec<Seen>>>,
    args: Arc<Mutex<Args>>,
    wrong_shout: Arc<AtomicUsize>,
) -> Vec<Function> {
    let a = Arc::clone(&args);
    let add_i32 = Function::new(
        "add_i32",
        [ValType::I32, ValType::I32],
        [ValType::I32],
        move |_, p, r| {
            let (x, y) = (p[0].unwrap_i32(), p[1].unwrap_i32());
            a.lock().unwrap().add_i32.push((x, y));
            r[0] = Val::I32(x.wrapping_add(y));
            Ok(())
        },
    );
    let a = Arc::clone(&args);
    let add_i64 = Function::new(
        "add_i64",
        [ValType::I64, ValType::I64],
        [ValType::I64],
        move |_, p, r| {
            let (x, y) = (p[0].unwrap_i64(), p[1].unwrap_i64());
            a.lock().unwrap().add_i64.push((x, y));
            r[0] = Val::I64(x.wrapping_add(y));
            Ok(())
        },
    );
    let a = Arc::clone(&args);
    let mul_f32 = Function::new(
        "mul_f32",
        [ValType::F32, ValType::F32],
        [ValType::F32],
        move |_, p, r| {
            let (x, y) = (p[0].unwrap_f32(), p[1].unwrap_f32());
            a.lock().unwrap().mul_f32.push((x, y));
            r[0] = Val::F32((x * y).to_bits());
            Ok(())
        },
    );
    let a = Arc::clone(&args);
    let mul_f64 = Function::new(
        "mul_f64",
        [ValType::F64, ValType::F64],
        [ValType::F64],
        move |_, p, r| {
            let (x, y) = (p[0].unwrap_f64(), p[1].unwrap_f64());
            a.lock().unwrap().mul_f64.push((x, y));
            r[0] = Val::F64((x * y).to_bits());
            Ok(())
        },
    );
    let a = Arc::clone(&args);
    let pair = Function::new("pair", [], [ValType::I32, ValType::I64], move |_, p, r| {
        assert!(p.is_empty());
        a.lock().unwrap().pair += 1;
        r[0] = Val::I32(-3);
        r[1] = Val::I64((1i64 << 40) + 5);
        Ok(())
    });
    let a = Arc::clone(&args);
    let custom_shout = Function::new("shout", [PTR], [PTR], move |cp, p, r| {
        a.lock().unwrap().custom_shout += 1;
        let text = cp
            .block(p[0].unwrap_i64() as u64)
            .unwrap_or_default()
            .to_ascii_uppercase();
        r[0] = Val::I64(cp.alloc_bytes(&text)? as i64);
        Ok(())
    })
    .with_namespace("custom");
    let default_shout = Function::new("shout", [PTR], [PTR], move |_, _, r| {
        wrong_shout.fetch_add(1, Ordering::SeqCst);
        r[0] = Val::I64(0);
        Ok(())
    });
    vec![
        hello_world(seen),
        add_i32,
        add_i64,
        mul_f32,
        mul_f64,
        pair,
        custom_shout,
        default_shout,
    ]
}

struct HostFnPlugin {
    plugin: Plugin,
    seen: Arc<Mutex<Vec<Seen>>>,
    args: Arc<Mutex<Args>>,
    wrong_shout: Arc<AtomicUsize>,
}

fn host_fn_plugin() -> HostFnPlugin {
    let seen = Arc::default();
    let args = Arc::default();
    let wrong_shout = Arc::new(AtomicUsize::new(0));
    let functions = host_fn_functions(
        Arc::clone(&seen),
        Arc::clone(&args),
        Arc::clone(&wrong_shout),
    );
    let plugin = Plugin::new(plugin_bytes("host_fn.wasm"), functions, false)
        .unwrap_or_else(|e| panic!("host_fn.wasm did not load: {e}"));
    HostFnPlugin {
        plugin,
        seen,
        args,
        wrong_shout,
    }
}

#[test]
fn hello_world_receives_the_input_block() {
    let h = host_fn_plugin();
    assert_output(&h.plugin, "call_hello", "Bob", b"Hello, Bob!");
    let seen = h.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_ne!(s.handle, 0, "non-empty input has a handle");
    assert_eq!(s.length, 3);
    assert_eq!(s.block.as_deref(), Some(&b"Bob"[..]));
    assert_eq!(s.bytes.as_deref(), Some(&b"Bob"[..]));
    assert_eq!(s.scratch_length, 16);
    assert_eq!(s.scratch_length_after_free, 0);
    assert_eq!(&s.id, h.plugin.id());
}

#[test]
fn hello_world_with_empty_and_binary_input() {
    let h = host_fn_plugin();
    assert_output(&h.plugin, "call_hello", b"", b"Hello, !");
    let input: Vec<u8> = (0..=255u8).collect();
    let mut expected = b"Hello, ".to_vec();
    expected.extend_from_slice(&input);
    expected.push(b'!');
    assert_output(&h.plugin, "call_hello", &input, &expected);
    let seen = h.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].handle, 0, "empty input is handle 0");
    assert_eq!(seen[0].block.as_deref(), Some(&b""[..]));
    assert_eq!(seen[1].length, 256);
    assert_eq!(seen[1].block.as_deref(), Some(&input[..]));
}

#[test]
fn values_of_every_type() {
    let h = host_fn_plugin();
    assert_output(&h.plugin, "call_add_i32", b"", b"42");
    assert_output(&h.plugin, "call_add_i64", b"", b"1099511627778");
    assert_output(&h.plugin, "call_mul_f32", b"", b"6");
    assert_output(&h.plugin, "call_mul_f64", b"", b"10");
    let args = h.args.lock().unwrap();
    assert_eq!(args.add_i32, [(40, 2)]);
    assert_eq!(args.add_i64, [(1i64 << 40, 2)]);
    assert_eq!(args.mul_f32, [(1.5f32, 4.0f32)]);
    assert_eq!(args.mul_f64, [(2.5f64, 4.0f64)]);
}

#[test]
fn pair_returns_two_results() {
    let h = host_fn_plugin();
    assert_output(&h.plugin, "call_pair", b"", b"-3,1099511627781");
    assert_output(&h.plugin, "call_pair", b"", b"-3,1099511627781");
    assert_eq!(h.args.lock().unwrap().pair, 2);
}

#[test]
fn namespaced_function_is_the_one_called() {
    let h = host_fn_plugin();
    assert_output(&h.plugin, "call_shout", "hey there", b"HEY THERE");
    assert_output(&h.plugin, "call_shout", "again", b"AGAIN");
    assert_eq!(h.args.lock().unwrap().custom_shout, 2);
    assert_eq!(
        h.wrong_shout.load(Ordering::SeqCst),
        0,
        "the default-namespace shout ran"
    );
}

#[test]
fn namespace_accessors() {
    let f = Function::new("shout", [PTR], [PTR], |_, _, _| Ok(()));
    assert_eq!(f.namespace(), "extism:host/user");
    assert_eq!(f.name(), "shout");
    let mut g = f.clone().with_namespace("custom");
    assert_eq!(g.namespace(), "custom");
    g.set_namespace("other");
    assert_eq!(g.namespace(), "other");
    assert_eq!(g.params(), [ValType::I64]);
    assert_eq!(g.results(), [ValType::I64]);
}

#[test]
fn missing_namespaced_function_fails_creation() {
    let seen = Arc::default();
    let args = Arc::default();
    let wrong = Arc::new(AtomicUsize::new(0));
    // Drop the `custom` shout: only the default-namespace one is left.
    let functions: Vec<Function> = host_fn_functions(seen, args, wrong)
        .into_iter()
        .filter(|f| f.namespace() != "custom")
        .collect();
    let err = Plugin::new(plugin_bytes("host_fn.wasm"), functions, false).unwrap_err();
    let message = err.message();
    assert!(
        message.ends_with("unknown import: `custom::shout` has not been defined"),
        "error {message:?}"
    );
}

/// `hello_world` for host_fn_hello.wasm whose behaviour is switched by `mode`.
fn switchable_hello(mode: Arc<AtomicUsize>, calls: Arc<AtomicUsize>) -> Function {
    Function::new("hello_world", [PTR], [PTR], move |cp, p, r| {
        calls.fetch_add(1, Ordering::SeqCst);
        match mode.load(Ordering::SeqCst) {
            1 => return Err(Error::msg("host function refused")),
            3 => panic!("host function panicked"),
            2 => {
                cp.set_error("first message");
                cp.set_error("second message");
                // A valid result that must be ignored: the guest is not resumed.
                r[0] = Val::I64(cp.alloc_bytes(b"ignored")? as i64);
                return Ok(());
            }
            _ => {}
        }
        let input = cp
            .block(p[0].unwrap_i64() as u64)
            .unwrap_or_default()
            .to_vec();
        r[0] = Val::I64(cp.alloc_bytes(&input)? as i64);
        Ok(())
    })
}

#[test]
fn panicking_callback_fails_the_call_and_the_plugin_recovers() {
    let mode = Arc::new(AtomicUsize::new(3));
    let calls = Arc::new(AtomicUsize::new(0));
    let plugin = Plugin::new(
        plugin_bytes("host_fn_hello.wasm"),
        [switchable_hello(Arc::clone(&mode), Arc::clone(&calls))],
        false,
    )
    .unwrap();
    let c = call(&plugin, "call_hello", "x");
    assert_eq!(c.rc, -1);
    assert_eq!(c.error.as_deref(), Some("panic: host function panicked"));
    // The same plugin keeps working, and a cancel while idle does not leak into the next call.
    assert!(plugin.cancel_handle().cancel());
    mode.store(0, Ordering::SeqCst);
    assert_output(&plugin, "call_hello", "after the panic", b"after the panic");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn callback_error_fails_the_call_with_its_message() {
    let mode = Arc::new(AtomicUsize::new(1));
    let calls = Arc::new(AtomicUsize::new(0));
    let plugin = Plugin::new(
        plugin_bytes("host_fn_hello.wasm"),
        [switchable_hello(Arc::clone(&mode), Arc::clone(&calls))],
        false,
    )
    .unwrap();
    let c = call(&plugin, "call_hello", "x");
    assert_eq!(
        (c.rc, c.error.as_deref()),
        (-1, Some("host function refused"))
    );
    assert!(c.output.is_empty(), "output {:?}", c.text());
    assert_eq!(plugin.error().as_deref(), Some("host function refused"));
    // The plugin keeps working.
    mode.store(0, Ordering::SeqCst);
    assert_output(&plugin, "call_hello", "echo me", b"echo me");
    assert_eq!(plugin.error(), None);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn set_error_fails_the_call_and_the_last_message_wins() {
    let mode = Arc::new(AtomicUsize::new(2));
    let calls = Arc::new(AtomicUsize::new(0));
    let plugin = Plugin::new(
        plugin_bytes("host_fn_hello.wasm"),
        [switchable_hello(Arc::clone(&mode), Arc::clone(&calls))],
        false,
    )
    .unwrap();
    let c = call(&plugin, "call_hello", "x");
    assert_eq!((c.rc, c.error.as_deref()), (-1, Some("second message")));
    assert!(
        c.output.is_empty(),
        "the guest was resumed: output {:?}",
        c.text()
    );
    mode.store(0, Ordering::SeqCst);
    assert_output(&plugin, "call_hello", "fine", b"fine");
    mode.store(2, Ordering::SeqCst);
    let c = call(&plugin, "call_hello", "x");
    assert_eq!((c.rc, c.error.as_deref()), (-1, Some("second message")));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn host_functions_are_shared_by_plugins_of_one_compiled_plugin() {
    let calls = Arc::new(AtomicUsize::new(0));
    let ids = Arc::new(Mutex::new(HashSet::new()));
    let (c2, ids2) = (Arc::clone(&calls), Arc::clone(&ids));
    let f = Function::new("hello_world", [PTR], [PTR], move |cp, p, r| {
        let n = c2.fetch_add(1, Ordering::SeqCst) + 1;
        ids2.lock().unwrap().insert(cp.id());
        let mut text = cp
            .block(p[0].unwrap_i64() as u64)
            .unwrap_or_default()
            .to_vec();
        text.extend_from_slice(format!("#{n}").as_bytes());
        r[0] = Val::I64(cp.alloc_bytes(&text)? as i64);
        Ok(())
    });
    let compiled = PluginBuilder::new(plugin_bytes("host_fn_hello.wasm"))
        .with_functions([f])
        .compile()
        .unwrap();
    let plugins: Vec<Plugin> = (0..3).map(|_| compiled.instantiate().unwrap()).collect();
    assert_output(&plugins[0], "call_hello", "a", b"a#1");
    assert_output(&plugins[1], "call_hello", "b", b"b#2");
    assert_output(&plugins[2], "call_hello", "c", b"c#3");
    assert_output(&plugins[0], "call_hello", "d", b"d#4");
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    let expected: HashSet<[u8; 16]> = plugins.iter().map(|p| *p.id()).collect();
    assert_eq!(expected.len(), 3);
    assert_eq!(
        *ids.lock().unwrap(),
        expected,
        "each call sees its own plugin's id"
    );

    // The same from three threads at once.
    let plugins: Vec<Arc<Plugin>> = plugins.into_iter().map(Arc::new).collect();
    let threads: Vec<_> = plugins
        .iter()
        .map(|p| {
            let p = Arc::clone(p);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let c = call(&p, "call_hello", "t");
                    assert_eq!((c.rc, c.error.as_deref()), (0, None));
                    assert!(c.output.starts_with(b"t#"), "output {:?}", c.text());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4 + 150);
}

/// Counts its drops in the given counter.
struct DropCounter(&'static AtomicUsize);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_hello(counter: DropCounter) -> Function {
    Function::new("hello_world", [PTR], [PTR], move |_, p, r| {
        let _keep = &counter;
        r[0] = p[0];
        Ok(())
    })
}

#[test]
fn captured_state_is_dropped_once_after_compiled_and_plugins() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let f = counting_hello(DropCounter(&DROPS));
    let compiled = PluginBuilder::new(plugin_bytes("host_fn_hello.wasm"))
        .with_functions([f])
        .compile()
        .unwrap();
    let a = compiled.instantiate().unwrap();
    let b = compiled.instantiate().unwrap();
    let c = compiled.instantiate().unwrap();
    assert_output(&a, "call_hello", "x", b"x");
    assert_eq!(DROPS.load(Ordering::SeqCst), 0);
    drop(compiled);
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        0,
        "dropped while plugins still hold it"
    );
    assert_output(&b, "call_hello", "still here", b"still here");
    drop(a);
    drop(b);
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        0,
        "dropped while a plugin still holds it"
    );
    assert_output(&c, "call_hello", "last", b"last");
    drop(c);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn captured_state_outlives_plugins_while_compiled_lives() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let compiled = PluginBuilder::new(plugin_bytes("host_fn_hello.wasm"))
        .with_functions([counting_hello(DropCounter(&DROPS))])
        .compile()
        .unwrap();
    for _ in 0..3 {
        let p = compiled.instantiate().unwrap();
        assert_output(&p, "call_hello", "y", b"y");
    }
    assert_eq!(DROPS.load(Ordering::SeqCst), 0);
    let p = compiled.instantiate().unwrap();
    drop(compiled);
    assert_eq!(DROPS.load(Ordering::SeqCst), 0);
    drop(p);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn captured_state_of_a_direct_plugin_is_dropped_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let plugin = Plugin::new(
        plugin_bytes("host_fn_hello.wasm"),
        [counting_hello(DropCounter(&DROPS))],
        false,
    )
    .unwrap();
    assert_output(&plugin, "call_hello", "z", b"z");
    assert_eq!(DROPS.load(Ordering::SeqCst), 0);
    drop(plugin);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn unregistered_function_drops_its_state_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let f = counting_hello(DropCounter(&DROPS));
    let g = f.clone();
    drop(f);
    assert_eq!(DROPS.load(Ordering::SeqCst), 0, "a clone still holds it");
    drop(g);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn failed_creation_drops_captured_state_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    // Linking fails: the module imports a function that nobody defines.
    let wat = r#"(module (import "extism:host/user" "missing" (func)) (func (export "run")))"#;
    let err = Plugin::new(wat, [counting_hello(DropCounter(&DROPS))], false).unwrap_err();
    assert!(
        err.message().contains("extism:host/user::missing"),
        "error {err}"
    );
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

/// What the re-entrant attempt inside the host function saw.
#[derive(Debug, Clone)]
struct Inner {
    outcome: CallOutcome,
    elapsed: Duration,
}

#[test]
fn reentrant_call_fails_and_outer_call_succeeds() {
    let slot: Arc<OnceLock<Weak<Plugin>>> = Arc::new(OnceLock::new());
    let inner: Arc<Mutex<Vec<Inner>>> = Arc::default();
    let queried = Arc::new(AtomicBool::new(false));
    let (slot2, inner2, queried2) = (Arc::clone(&slot), Arc::clone(&inner), Arc::clone(&queried));
    let f = Function::new("hello_world", [PTR], [PTR], move |cp, _, r| {
        let plugin = slot2
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| Error::msg("plugin not installed"))?;
        let start = Instant::now();
        let outcome = plugin.call_with_context("call_hello", b"inner", 0);
        let elapsed = start.elapsed();
        inner2.lock().unwrap().push(Inner { outcome, elapsed });
        // D3: reading the error and output from inside the callback must not block.
        let _ = plugin.error();
        let _ = plugin.output();
        queried2.store(true, Ordering::SeqCst);
        r[0] = Val::I64(cp.alloc_bytes(b"outer ok")? as i64);
        Ok(())
    });
    let plugin = Arc::new(Plugin::new(plugin_bytes("host_fn_hello.wasm"), [f], false).unwrap());
    slot.set(Arc::downgrade(&plugin)).unwrap();

    // Run on another thread so that a deadlock fails the test instead of hanging it.
    let (tx, rx) = mpsc::channel();
    let p = Arc::clone(&plugin);
    std::thread::spawn(move || {
        let first = call(&p, "call_hello", "outer");
        let second = call(&p, "call_hello", "outer");
        let _ = tx.send((first, second));
    });
    let (first, second) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("re-entrant call deadlocked");
    for c in [&first, &second] {
        assert_eq!((c.rc, c.error.as_deref()), (0, None), "outer call: {c:?}");
        assert_eq!(c.output, b"outer ok");
    }
    assert!(queried.load(Ordering::SeqCst));
    let inner = inner.lock().unwrap().clone();
    assert_eq!(inner.len(), 2, "{inner:?}");
    for attempt in &inner {
        assert_eq!(attempt.outcome.rc, -1, "{attempt:?}");
        assert_eq!(
            attempt.outcome.error.as_deref(),
            Some("cannot make reentrant calls into plugin")
        );
        assert!(attempt.elapsed < Duration::from_secs(5), "{attempt:?}");
    }
}

#[test]
fn host_function_may_call_another_plugin() {
    let other = Arc::new(common::load("returns.wasm", false));
    let o = Arc::clone(&other);
    let f = Function::new("hello_world", [PTR], [PTR], move |cp, _, r| {
        let out = o.call("output_hello", b"")?;
        r[0] = Val::I64(cp.alloc_bytes(&out)? as i64);
        Ok(())
    });
    let plugin = Plugin::new(plugin_bytes("host_fn_hello.wasm"), [f], false).unwrap();
    assert_output(&plugin, "call_hello", b"", b"hello");
    assert_output(&plugin, "call_hello", b"", b"hello");
}

/// A host function reads its own plugin's output during the call after `_start`, whose store
/// rebuild unmapped the memory that held the 64 KiB output `_start` left.
#[test]
fn output_read_from_a_host_function_after_a_store_rebuild_is_empty() {
    let slot: Arc<OnceLock<Weak<Plugin>>> = Arc::new(OnceLock::new());
    let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
    let (slot2, seen2) = (Arc::clone(&slot), Arc::clone(&seen));
    let f = Function::new("read_output", [], [], move |_, _, _| {
        let plugin = slot2
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| Error::msg("plugin not installed"))?;
        seen2.lock().unwrap().push(plugin.output().len());
        Ok(())
    });
    let plugin =
        Arc::new(Plugin::new(plugin_bytes("output_after_start.wasm"), [f], false).unwrap());
    slot.set(Arc::downgrade(&plugin)).unwrap();

    let start = call(&plugin, "_start", b"");
    assert_eq!((start.rc, start.error.as_deref()), (0, None));
    assert_eq!(start.output.len(), 65536);
    let probe = call(&plugin, "probe", b"");
    assert_eq!((probe.rc, probe.error.as_deref()), (0, None));
    assert_eq!(*seen.lock().unwrap(), [0]);
    assert!(probe.output.is_empty());
}
