//! Extism memory against a model.
//!
//! The first input byte picks a plugin variant (no page limit, or a small `max_pages`); the
//! rest is a sequence of kernel operations. A WAT plugin exports `run`, which calls one host
//! function; that host function executes operations through `CurrentPlugin` (alloc,
//! alloc_bytes, free, length, block, memory) until it meets a `reset` or the end of the input.
//! A reset is modelled by ending the call and starting the next one, since every call starts
//! with empty Extism memory.
//!
//! Model: every live block keeps its length and its contents (fresh blocks are filled with a
//! known pattern); live blocks never overlap and lie inside memory; freed handles, handles of
//! earlier calls, interior pointers and unknown values have length 0 and no block; `alloc(0)`
//! is 0; a size beyond 4 GiB is refused; without a page limit, modest sizes always succeed.
//! Any mismatch panics.
//!
//! Each input gets a fresh plugin from a compiled plugin made once, so the allocator's state
//! (which depends on how far memory has grown) does not leak from one input into the next.

#![no_main]

#[allow(dead_code, reason = "not every target uses every helper")]
mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use extism::{CompiledPlugin, CurrentPlugin, Function, Manifest, PluginBuilder, Wasm};
use libfuzzer_sys::fuzz_target;

const WAT: &str = r#"(module
  (import "extism:host/user" "ops" (func $ops))
  (func (export "run") (call $ops)))"#;

/// `memory.max_pages` of each plugin variant.
const LIMITS: [Option<u32>; 3] = [None, Some(1), Some(4)];
/// Allocations that would take the live total above this are skipped, to bound RSS and time.
const LIVE_BYTES_CAP: u64 = 8 << 20;
/// Sizes no allocation may satisfy: Extism memory is at most 4 GiB (65536 pages).
const HUGE: [u64; 8] = [
    u64::MAX,
    u64::MAX - 6,
    u64::MAX - 7,
    1 << 63,
    1 << 40,
    (1 << 32) + 1,
    1 << 32,
    u64::MAX - (1 << 32),
];
/// How many dead handles are remembered.
const DEAD_KEPT: usize = 256;

struct Model {
    ops: Vec<u8>,
    pos: usize,
    /// The plugin has a page limit, so allocations may be refused.
    limited: bool,
    /// Live blocks by handle, with their expected contents.
    live: BTreeMap<u64, Vec<u8>>,
    live_bytes: u64,
    /// Handles that were live once and are not now.
    dead: Vec<u64>,
    /// Operations executed so far, for messages and fill patterns.
    step: u64,
    call: u32,
}

impl Model {
    fn new(ops: &[u8], limited: bool) -> Self {
        Model {
            ops: ops.to_vec(),
            pos: 0,
            limited,
            live: BTreeMap::new(),
            live_bytes: 0,
            dead: Vec::new(),
            step: 0,
            call: 0,
        }
    }

    fn done(&self) -> bool {
        self.pos >= self.ops.len()
    }

    /// The next input byte; 0 past the end.
    fn byte(&mut self) -> u8 {
        let b = self.ops.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn nth_live(&self, i: u8) -> Option<(u64, usize)> {
        if self.live.is_empty() {
            return None;
        }
        let (&h, bytes) = self.live.iter().nth(usize::from(i) % self.live.len())?;
        Some((h, bytes.len()))
    }

    /// A handle for free/length: a live block, a dead handle, an interior pointer, or an
    /// arbitrary value (which may happen to be live; the expectation follows the model).
    fn pick(&mut self) -> u64 {
        let s = self.byte();
        match s >> 6 {
            0 | 1 => self.nth_live(s).map_or(0, |(h, _)| h),
            2 if !self.dead.is_empty() => self.dead[usize::from(s) % self.dead.len()],
            2 => 0,
            _ if s & 1 == 0 => match self.nth_live(s >> 1) {
                Some((h, len)) if len >= 2 => h + 1 + u64::from(s) % (len as u64 - 1),
                _ => 0,
            },
            _ => u64::from(s & 0x3e) * 4,
        }
    }

    fn bury(&mut self, handle: u64) {
        self.dead.retain(|&d| d != handle);
        self.dead.push(handle);
        if self.dead.len() > DEAD_KEPT {
            self.dead.remove(0);
        }
    }

    fn expected_length(&self, handle: u64) -> u64 {
        self.live.get(&handle).map_or(0, |b| b.len() as u64)
    }

    fn where_(&self) -> String {
        format!("call {} step {}", self.call, self.step)
    }
}

/// Checks that `handle`'s length and block are what the model says.
fn check_handle(plugin: &CurrentPlugin<'_>, m: &Model, handle: u64) {
    let length = plugin.length(handle);
    let want = m.expected_length(handle);
    assert_eq!(length, want, "{}: length({handle:#x})", m.where_());
    let block = plugin.block(handle);
    match (handle, m.live.get(&handle)) {
        (0, _) => assert_eq!(block, Some(&[][..]), "{}: block(0)", m.where_()),
        (_, Some(bytes)) => assert!(
            block == Some(bytes.as_slice()),
            "{}: contents of live block {handle:#x} ({} bytes) changed",
            m.where_(),
            bytes.len()
        ),
        (_, None) => assert!(
            block.is_none(),
            "{}: block({handle:#x}) of a non-live handle is {:?}",
            m.where_(),
            block.map(<[u8]>::len)
        ),
    }
}

fn check_lengths(plugin: &CurrentPlugin<'_>, m: &Model) {
    for (&h, bytes) in &m.live {
        assert_eq!(
            plugin.length(h),
            bytes.len() as u64,
            "{}: length of live block {h:#x}",
            m.where_()
        );
    }
}

fn check_all(plugin: &CurrentPlugin<'_>, m: &Model) {
    for &h in m.live.keys() {
        check_handle(plugin, m, h);
    }
    for &h in &m.dead {
        check_handle(plugin, m, h);
    }
}

/// Checks a new non-zero block `[h, h + n)` against memory and the live blocks, then records it
/// with `contents` (already in memory).
fn admit(plugin: &mut CurrentPlugin<'_>, m: &mut Model, h: u64, contents: Vec<u8>) {
    let n = contents.len() as u64;
    let memory_len = plugin.memory().len() as u64;
    assert!(
        h.checked_add(n).is_some_and(|end| end <= memory_len),
        "{}: block {h:#x}+{n} outside memory of {memory_len} bytes",
        m.where_()
    );
    if let Some((&p, bytes)) = m.live.range(..=h).next_back() {
        assert!(
            p + bytes.len() as u64 <= h,
            "{}: new block {h:#x}+{n} overlaps live block {p:#x}+{}",
            m.where_(),
            bytes.len()
        );
    }
    if let Some((&p, bytes)) = m.live.range(h..h + n).next() {
        panic!(
            "{}: new block {h:#x}+{n} overlaps live block {p:#x}+{}",
            m.where_(),
            bytes.len()
        );
    }
    assert_eq!(
        plugin.length(h),
        n,
        "{}: length of new block {h:#x}",
        m.where_()
    );
    m.dead.retain(|&d| d != h);
    m.live_bytes += n;
    m.live.insert(h, contents);
}

fn op_alloc(plugin: &mut CurrentPlugin<'_>, m: &mut Model) {
    let b = m.byte();
    let (n, impossible) = match b >> 6 {
        0 => (u64::from(b & 63), false),
        1 => (u64::from(b & 63) << 8 | u64::from(m.byte()), false),
        2 => {
            let hi = u64::from(b & 63) << 16;
            (hi | u64::from(m.byte()) << 8 | u64::from(m.byte()), false)
        }
        _ => (HUGE[usize::from(b & 63) % HUGE.len()], true),
    };
    if !impossible && m.live_bytes + n > LIVE_BYTES_CAP {
        return;
    }
    let h = plugin.alloc(n);
    if n == 0 || impossible {
        assert_eq!(h, 0, "{}: alloc({n}) must return 0", m.where_());
        return;
    }
    if h == 0 {
        assert!(
            m.limited,
            "{}: alloc({n}) failed without a page limit ({} live bytes)",
            m.where_(),
            m.live_bytes
        );
        return;
    }
    // Fill with a pattern so that an overlapping block shows up as changed contents.
    let seed = m.step.wrapping_mul(31) as u8;
    let contents: Vec<u8> = (0..n).map(|i| seed.wrapping_add(i as u8) ^ 0x5a).collect();
    let start = h as usize;
    let Some(dest) = plugin.memory().get_mut(start..start + contents.len()) else {
        panic!("{}: block {h:#x}+{n} outside memory", m.where_());
    };
    dest.copy_from_slice(&contents);
    admit(plugin, m, h, contents);
}

fn op_alloc_bytes(plugin: &mut CurrentPlugin<'_>, m: &mut Model) {
    let n = usize::from(m.byte());
    let start = m.pos.min(m.ops.len());
    let end = (start + n).min(m.ops.len());
    let contents = m.ops[start..end].to_vec();
    m.pos = end;
    match plugin.alloc_bytes(&contents) {
        Ok(0) => assert!(
            contents.is_empty(),
            "{}: alloc_bytes of {} bytes returned 0",
            m.where_(),
            contents.len()
        ),
        Ok(h) => {
            assert!(
                !contents.is_empty(),
                "{}: alloc_bytes(&[]) = {h:#x}",
                m.where_()
            );
            let got = plugin.block(h).map(<[u8]>::to_vec);
            assert!(
                got.as_deref() == Some(contents.as_slice()),
                "{}: alloc_bytes block {h:#x} does not hold the bytes",
                m.where_()
            );
            admit(plugin, m, h, contents);
        }
        Err(err) => assert!(
            m.limited,
            "{}: alloc_bytes of {} bytes failed without a page limit: {err}",
            m.where_(),
            contents.len()
        ),
    }
}

fn op_free(plugin: &mut CurrentPlugin<'_>, m: &mut Model) {
    let h = m.pick();
    plugin.free(h);
    if let Some(bytes) = m.live.remove(&h) {
        m.live_bytes -= bytes.len() as u64;
        m.bury(h);
    }
    check_handle(plugin, m, h);
    check_lengths(plugin, m);
}

fn op_write(plugin: &mut CurrentPlugin<'_>, m: &mut Model) {
    let (i, off_hi, off_lo, value) = (m.byte(), m.byte(), m.byte(), m.byte());
    let Some((h, len)) = m.nth_live(i) else {
        return;
    };
    let offset = (usize::from(off_hi) << 8 | usize::from(off_lo)) % len;
    let Some(byte) = plugin.memory().get_mut(h as usize + offset) else {
        panic!("{}: live block {h:#x}+{len} outside memory", m.where_());
    };
    *byte = value;
    if let Some(bytes) = m.live.get_mut(&h) {
        bytes[offset] = value;
    }
}

fn op_read(plugin: &mut CurrentPlugin<'_>, m: &mut Model) {
    let (i, off_hi, off_lo) = (m.byte(), m.byte(), m.byte());
    let Some((h, len)) = m.nth_live(i) else {
        return;
    };
    let offset = (usize::from(off_hi) << 8 | usize::from(off_lo)) % len;
    let want = m.live[&h][offset];
    let got = plugin.memory().get(h as usize + offset).copied();
    assert_eq!(
        got,
        Some(want),
        "{}: byte {offset} of block {h:#x}",
        m.where_()
    );
    check_handle(plugin, m, h);
}

/// The body of the host function: one call's worth of operations.
fn run_call(plugin: &mut CurrentPlugin<'_>, m: &mut Model) {
    m.call += 1;
    // Every call starts with empty Extism memory: nothing from earlier calls is live.
    check_all(plugin, m);
    while !m.done() {
        m.step += 1;
        match m.byte() % 8 {
            0 => op_alloc(plugin, m),
            1 => op_free(plugin, m),
            2 => {
                let h = m.pick();
                check_handle(plugin, m, h);
            }
            3 => op_write(plugin, m),
            4 => op_read(plugin, m),
            5 => break,
            6 => check_all(plugin, m),
            _ => op_alloc_bytes(plugin, m),
        }
    }
    check_all(plugin, m);
    // The call ends: its blocks are gone when the next one starts.
    let handles: Vec<u64> = m.live.keys().copied().collect();
    m.live.clear();
    m.live_bytes = 0;
    for h in handles {
        m.bury(h);
    }
}

thread_local! {
    static MODEL: RefCell<Option<Model>> = const { RefCell::new(None) };
}

fn ops_function() -> Function {
    Function::new("ops", [], [], |plugin, _params, _results| {
        MODEL.with(|cell| {
            let mut model = cell.borrow_mut();
            let model = model.as_mut().expect("no model for this call");
            run_call(plugin, model);
        });
        Ok(())
    })
}

static COMPILED: OnceLock<Vec<CompiledPlugin>> = OnceLock::new();

fn compile_all() -> Vec<CompiledPlugin> {
    LIMITS
        .iter()
        .map(|&limit| {
            let mut manifest = Manifest::new([Wasm::data(WAT.as_bytes().to_vec())]);
            manifest.memory.max_pages = limit;
            PluginBuilder::from_manifest(manifest)
                .with_functions([ops_function()])
                .compile()
                .expect("the kernel_ops plugin compiles")
        })
        .collect()
}

fuzz_target!(
    init: {
        common::disable_disk_cache();
        COMPILED.get_or_init(compile_all);
    },
    |data: &[u8]| {
        let Some((&variant, ops)) = data.split_first() else {
            return;
        };
        let variant = usize::from(variant) % LIMITS.len();
        let compiled = &COMPILED.get_or_init(compile_all)[variant];
        let plugin = compiled.instantiate().expect("the kernel_ops plugin instantiates");
        MODEL.with(|cell| *cell.borrow_mut() = Some(Model::new(ops, LIMITS[variant].is_some())));
        loop {
            if let Err(err) = plugin.call("run", b"") {
                panic!("the call failed: {err}");
            }
            let done = MODEL.with(|cell| cell.borrow().as_ref().is_none_or(Model::done));
            if done {
                break;
            }
        }
        MODEL.with(|cell| *cell.borrow_mut() = None);
    }
);
