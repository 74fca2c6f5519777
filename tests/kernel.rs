//! kernel.wasm: self-checking scenarios of the Extism memory functions (docs/abi.md §5.2, §5.4).
//! Each export returns 0 when all its checks pass, otherwise the number of the first failed
//! check, and then sets the output to "<scenario>: <check>".

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests report failures by panicking"
)]

mod common;

use common::{call, load, Call};

const INPUT: &[u8] = b"0123456789abcdef!";

fn run(scenario: &str, input: &[u8]) -> Call {
    let plugin = load("kernel.wasm", false);
    call(&plugin, scenario, input)
}

#[track_caller]
fn assert_passes(scenario: &str, input: &[u8]) -> Call {
    let c = run(scenario, input);
    assert_eq!(
        c.rc,
        0,
        "{scenario} failed check {} ({:?}); error {:?}",
        c.rc,
        c.text(),
        c.error
    );
    assert_eq!(
        c.error,
        None,
        "{scenario}: unexpected error (output {:?})",
        c.text()
    );
    c
}

#[test]
fn alloc_zero() {
    assert_passes("alloc_zero", b"");
}

#[test]
fn alloc_length() {
    assert_passes("alloc_length", b"");
}

#[test]
fn length_invalid() {
    assert_passes("length_invalid", b"");
}

#[test]
fn free_then_length() {
    assert_passes("free_then_length", b"");
}

#[test]
fn reuse_after_free() {
    assert_passes("reuse_after_free", b"");
}

#[test]
fn bounds() {
    assert_passes("bounds", b"");
}

#[test]
fn input() {
    assert_passes("input", INPUT);
}

#[test]
fn input_empty() {
    assert_passes("input_empty", b"");
}

#[test]
fn echo_via_offset() {
    let c = assert_passes("echo_via_offset", INPUT);
    assert_eq!(c.output, INPUT, "output {:?}", c.text());
}

#[test]
fn echo_via_offset_binary_input() {
    let input: Vec<u8> = (0..=255u8).rev().collect();
    let c = assert_passes("echo_via_offset", &input);
    assert_eq!(c.output, input);
}

#[test]
fn echo_via_offset_empty_input() {
    let c = assert_passes("echo_via_offset", b"");
    assert!(c.output.is_empty(), "output {:?}", c.text());
}

#[test]
fn output_invalid() {
    let c = assert_passes("output_invalid", b"");
    assert_eq!(c.output, b"ok", "output {:?}", c.text());
}

#[test]
fn error_get_set() {
    assert_passes("error_get_set", b"");
}

#[test]
fn reset_without_input() {
    assert_passes("reset", b"");
}

#[test]
fn reset_with_input() {
    assert_passes("reset", INPUT);
}

#[test]
fn memory_bytes() {
    assert_passes("memory_bytes", b"");
}

#[test]
fn alloc_huge() {
    let c = run("alloc_huge", b"");
    let ok = (c.rc == 0 && c.error.is_none()) || (c.rc == -1 && c.error.as_deref() == Some("oom"));
    assert!(
        ok,
        "alloc_huge: rc {} error {:?} output {:?}",
        c.rc,
        c.error,
        c.text()
    );
}

/// All scenarios on one plugin, one after another: Extism memory is reset at the start of
/// every call (§5.4), so each scenario still sees a fresh allocator.
#[test]
fn every_scenario_on_one_plugin() {
    let plugin = load("kernel.wasm", false);
    let scenarios: &[(&str, &[u8])] = &[
        ("alloc_zero", b""),
        ("alloc_length", b""),
        ("length_invalid", b""),
        ("free_then_length", b""),
        ("reuse_after_free", b""),
        ("bounds", b""),
        ("input", INPUT),
        ("input_empty", b""),
        ("echo_via_offset", INPUT),
        ("output_invalid", b""),
        ("error_get_set", b""),
        ("reset", INPUT),
        ("memory_bytes", b""),
        ("input", INPUT),
        ("alloc_length", b""),
        ("input_empty", b""),
    ];
    for round in 0..2 {
        for (scenario, input) in scenarios {
            let c = call(&plugin, scenario, input);
            assert_eq!(
                (c.rc, c.error.as_deref()),
                (0, None),
                "round {round}, {scenario}: output {:?}",
                c.text()
            );
        }
    }
}
