//! The instance pool when it is full: this process has a pool of 4 slots (`EXTISM_POOL_SLOTS`,
//! set before the first plugin is made, in the one test of this file), so a few plugins fill
//! it. A plugin made while it is full, and a plugin whose main module is first instantiated
//! while it is full, both run with instances allocated on demand, with the vars the host set;
//! and calls of a plugin take no slot of their own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests report failures by panicking"
)]

mod common;

use extism::PluginBuilder;

use common::{assert_output, plugin_bytes};

#[test]
fn a_full_pool_moves_plugins_to_instances_allocated_on_demand() {
    // This file's one test sets the variable before any engine exists, and no other thread
    // of this process reads the environment meanwhile.
    std::env::set_var("EXTISM_POOL_SLOTS", "4");

    // A main module that exports `_start` keeps one instance across calls: more calls than
    // slots neither take a slot each nor start over from a fresh instance.
    let start = PluginBuilder::new(plugin_bytes("start.wasm"))
        .build()
        .unwrap();
    for n in 1..=8 {
        assert_output(&start, "count", "", n.to_string().as_bytes());
    }
    drop(start);
    // Plugins made directly from their wasm use the pool (made from a compiled plugin, they
    // would use the serving engine, which has none); after the first, the module comes from
    // the in-memory cache.
    let wasm = plugin_bytes("config_var.wasm");
    let make = || PluginBuilder::new(wasm.clone()).build().unwrap();

    // Each plugin takes a slot for its kernel when it is made and one for main at its first
    // call. `first` is made while there is room, then three more fill the pool.
    let first = make();
    first.var_set("k", b"set before the first call").unwrap();
    let fillers: Vec<_> = (0..3).map(|_| make()).collect();

    // Main of `first` finds the pool full: the plugin moves to a store allocated on demand,
    // keeping the var the host set.
    assert_output(&first, "get_var", "k", b"set before the first call");
    assert_output(&first, "set_var", "k=again", b"");
    assert_output(&first, "get_var", "k", b"again");

    // Made while the pool is full: allocated on demand from the start.
    let late = make();
    assert_output(&late, "get_var", "k", b"none");
    assert_output(&late, "set_var", "k=late", b"");
    assert_output(&late, "get_var", "k", b"late");
    assert_output(&first, "get_var", "k", b"again");

    // The fillers' own first calls also find the pool full, and each keeps its own vars.
    for (i, filler) in fillers.iter().enumerate() {
        let value = format!("filler {i}");
        assert_output(filler, "set_var", format!("k={value}"), b"");
        assert_output(filler, "get_var", "k", value.as_bytes());
    }

    // Once plugins are freed, slots are free again and new plugins use them.
    drop(fillers);
    drop(late);
    drop(first);
    let again: Vec<_> = (0..2).map(|_| make()).collect();
    for plugin in &again {
        assert_output(plugin, "get_var", "k", b"none");
    }
}
