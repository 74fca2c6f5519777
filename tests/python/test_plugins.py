"""Plugins through the official SDK: the ways to create one, calls, config, errors, freeing."""

import gc
import json
import re
import uuid

import extism
import pytest

# CompiledPlugin is public in the SDK's module but not re-exported by the package.
from extism.extism import CompiledPlugin

from wasm_plugins import plugin_bytes, plugin_path, sha256_of


def count_vowels(plugin, text, **kwargs):
    return plugin.call("count_vowels", text, parse=lambda out: json.loads(bytes(out)), **kwargs)


def test_version_is_a_1x_release():
    version = extism.extism_version()
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(?:[-+].*)?", version)
    assert match, version
    assert int(match.group(1)) == 1


def test_plugin_from_file_path():
    with extism.Plugin(plugin_path("count_vowels"), functions=[]) as plugin:
        assert count_vowels(plugin, "Hello, World!") == {
            "count": 3,
            "total": 3,
            "vowels": "aeiouAEIOU",
        }


def test_plugin_from_bytes():
    with extism.Plugin(plugin_bytes("count_vowels"), functions=[]) as plugin:
        assert count_vowels(plugin, "aaa")["count"] == 3


def test_plugin_from_manifest_dict_with_path_and_hash():
    manifest = {"wasm": [{"path": plugin_path("count_vowels"), "hash": sha256_of("count_vowels")}]}
    with extism.Plugin(manifest, functions=[]) as plugin:
        assert count_vowels(plugin, "Extism")["count"] == 2


def test_plugin_from_manifest_dict_with_data_and_hash():
    # The SDK base64-encodes bytes values when it serialises the manifest.
    manifest = {
        "wasm": [{"data": plugin_bytes("count_vowels"), "hash": sha256_of("count_vowels")}]
    }
    with extism.Plugin(manifest, functions=[]) as plugin:
        assert count_vowels(plugin, "Extism")["count"] == 2


def test_plugin_from_manifest_json_text():
    manifest = json.dumps({"wasm": [{"path": plugin_path("count_vowels")}]})
    with extism.Plugin(manifest, functions=[]) as plugin:
        assert count_vowels(plugin, "aei")["count"] == 3


def test_plugin_from_wat_text():
    wat = '(module (func (export "run") (result i32) (i32.const 0)))'
    with extism.Plugin(wat, functions=[]) as plugin:
        assert plugin.function_exists("run")
        assert plugin.call("run", b"") == b""


def test_wat_with_leading_whitespace(library):
    wat = '\n  (module (func (export "run") (result i32) (i32.const 0)))'
    if library == "reference":
        # The reference misreads it as a manifest.
        with pytest.raises(extism.Error, match="Unknown manifest format"):
            extism.Plugin(wat, functions=[])
    else:
        # docs/abi.md D8: this library accepts WAT after leading whitespace.
        with extism.Plugin(wat, functions=[]) as plugin:
            assert plugin.call("run", b"") == b""


def test_call_with_str_and_bytes_input():
    with extism.Plugin(plugin_path("echo"), functions=[]) as plugin:
        assert plugin.call("echo", "héllo") == "héllo".encode()
        assert plugin.call("echo", b"\x00\x01\xff") == b"\x00\x01\xff"
        assert plugin.call("echo", b"") == b""
        big = bytes(range(256)) * 4096
        assert plugin.call("echo", big) == big


def test_call_parse_argument():
    with extism.Plugin(plugin_path("echo"), functions=[]) as plugin:
        assert plugin.call("echo", "abc", parse=lambda out: bytes(out).decode().upper()) == "ABC"
        raw = plugin.call("echo", "xyz", parse=None)
        assert bytes(raw) == b"xyz"


def test_vars_persist_across_calls():
    with extism.Plugin(plugin_path("count_vowels"), functions=[]) as plugin:
        assert count_vowels(plugin, "aa")["total"] == 2
        assert count_vowels(plugin, "eee")["total"] == 5
        assert count_vowels(plugin, "")["total"] == 5


def test_config_from_constructor():
    with extism.Plugin(plugin_path("count_vowels"), config={"vowels": "xyz"}, functions=[]) as plugin:
        result = count_vowels(plugin, "xylophone")
        assert result["count"] == 2
        assert result["vowels"] == "xyz"


def test_config_read_by_key():
    with extism.Plugin(
        plugin_path("config_var"), config={"greeting": "hi there"}, functions=[]
    ) as plugin:
        assert plugin.call("get_config", "greeting") == b"hi there"
        with pytest.raises(extism.Error, match="missing"):
            plugin.call("get_config", "absent")


def test_function_exists():
    with extism.Plugin(plugin_path("returns"), functions=[]) as plugin:
        assert plugin.function_exists("ret_42")
        assert plugin.function_exists("ret_none")
        assert not plugin.function_exists("nope")
        # Only () -> () and () -> i32 exports are callable through the C API.
        assert not plugin.function_exists("takes_param")
        assert not plugin.function_exists("ret_i64")


def test_unknown_function_raises():
    with extism.Plugin(plugin_path("count_vowels"), functions=[]) as plugin:
        with pytest.raises(extism.Error, match="Function not found: nope"):
            plugin.call("nope", "")
        # The plugin stays usable after a failed call.
        assert count_vowels(plugin, "a")["count"] == 1


def test_missing_wasm_file_raises():
    with pytest.raises(extism.Error, match=r"Unable to compile Extism plugin: .*nope\.wasm"):
        extism.Plugin({"wasm": [{"path": "nope.wasm"}]}, functions=[])


def test_hash_mismatch_raises():
    wrong = "0" * 64
    manifest = {"wasm": [{"path": plugin_path("count_vowels"), "hash": wrong}]}
    with pytest.raises(extism.Error, match=f"Hash mismatch, found {sha256_of('count_vowels')} but expected {wrong}"):
        extism.Plugin(manifest, functions=[])


@pytest.mark.parametrize(
    "manifest",
    [
        {"wasm": [{"path": plugin_path("noop")}], "no_such_key": 1},
        {"wasm": [{"path": plugin_path("noop")}], "config": {"n": 1}},
        "this is neither wasm nor a manifest",
    ],
    ids=["unknown-key", "non-string-config", "garbage-text"],
)
def test_bad_manifest_raises(manifest):
    with pytest.raises(extism.Error, match="Unable to compile Extism plugin: Unknown manifest format"):
        extism.Plugin(manifest, functions=[])


def test_empty_manifest_raises():
    with pytest.raises(extism.Error, match="No wasm files specified"):
        extism.Plugin({"wasm": []}, functions=[])


def test_missing_import_fails_creation():
    # host_fn_hello imports extism:host/user hello_world, which is not supplied here.
    with pytest.raises(extism.Error, match="hello_world"):
        extism.Plugin(plugin_path("host_fn_hello"), functions=[])


def test_guest_error_raises_with_its_message():
    with extism.Plugin(plugin_path("returns"), functions=[]) as plugin:
        with pytest.raises(extism.Error, match="^bad thing$"):
            plugin.call("error_rc7", "")
        # The SDK raises whenever the plugin error is set, even when the export returned 0.
        with pytest.raises(extism.Error, match="^guest error$"):
            plugin.call("error_rc0", "")
        with pytest.raises(extism.Error, match="^failed before trap$"):
            plugin.call("error_then_trap", "")
        assert plugin.call("output_hello", "") == b"hello"


def test_nonzero_return_code_without_error_text():
    with extism.Plugin(plugin_path("returns"), functions=[]) as plugin:
        with pytest.raises(extism.Error, match="^Error code: 42$"):
            plugin.call("ret_42", "")
        with pytest.raises(extism.Error, match="^Error code: -7$"):
            plugin.call("ret_neg", "")
        assert plugin.call("ret_none", "") == b""


def test_trap_raises(library):
    with extism.Plugin(plugin_path("traps"), functions=[]) as plugin:
        with pytest.raises(extism.Error) as trapped:
            plugin.call("unreachable", "")
        if library == "ours":
            # docs/abi.md D1: the error names the trap's cause; the reference gives only a
            # backtrace header, so nothing more is asserted for it.
            assert "unreachable" in str(trapped.value)
        with pytest.raises(extism.Error):
            plugin.call("div_zero", "")


def test_wasi_plugin_needs_wasi():
    with extism.Plugin(plugin_path("wasi_hello"), wasi=True, functions=[]) as plugin:
        assert plugin.call("greet", "Python") == b"Hello, Python!"
        assert len(plugin.call("random_bytes", "")) == 32
    with pytest.raises(extism.Error, match="wasi_snapshot_preview1"):
        extism.Plugin(plugin_path("wasi_hello"), wasi=False, functions=[])


def test_plugin_ids_are_distinct_uuid4():
    with extism.Plugin(plugin_path("noop"), functions=[]) as first, extism.Plugin(
        plugin_path("noop"), functions=[]
    ) as second:
        assert isinstance(first.id, uuid.UUID)
        assert first.id.version == 4
        assert first.id == first.id
        assert first.id != second.id


def test_compiled_plugin_reused_for_several_plugins():
    compiled = CompiledPlugin(plugin_path("count_vowels"), functions=[])
    plugins = [extism.Plugin(compiled) for _ in range(3)]
    try:
        # Each plugin has its own vars.
        assert count_vowels(plugins[0], "aaaa")["total"] == 4
        assert count_vowels(plugins[0], "a")["total"] == 5
        assert count_vowels(plugins[1], "ee")["total"] == 2
        assert count_vowels(plugins[2], "")["total"] == 0
        assert len({p.id for p in plugins}) == 3
    finally:
        for p in plugins:
            p.__del__()
        compiled.__del__()


def test_compiled_plugin_with_per_plugin_config():
    compiled = CompiledPlugin(plugin_path("count_vowels"), functions=[])
    first = extism.Plugin(compiled, config={"vowels": "b"})
    second = extism.Plugin(compiled)
    assert count_vowels(first, "abba")["count"] == 2
    assert count_vowels(second, "abba")["count"] == 2
    assert count_vowels(first, "aaa")["count"] == 0
    assert count_vowels(second, "aaa")["count"] == 3
    first.__del__()
    second.__del__()
    compiled.__del__()


def test_compiled_plugin_errors():
    with pytest.raises(extism.Error, match="Unable to compile Extism plugin"):
        CompiledPlugin({"wasm": [{"path": "nope.wasm"}]}, functions=[])
    # Linking happens per plugin, so a missing import shows up there.
    compiled = CompiledPlugin(plugin_path("host_fn_hello"), functions=[])
    with pytest.raises(extism.Error, match="Unable to create Extism plugin: .*hello_world"):
        extism.Plugin(compiled)
    compiled.__del__()


def test_plugins_outlive_their_compiled_plugin():
    compiled = CompiledPlugin(plugin_path("count_vowels"), functions=[])
    plugin = extism.Plugin(compiled)
    compiled.__del__()
    del compiled
    gc.collect()
    assert count_vowels(plugin, "oo")["count"] == 2
    plugin.__del__()


def test_freeing_is_idempotent():
    plugin = extism.Plugin(plugin_path("noop"), functions=[])
    assert plugin.call("run", "") == b""
    plugin.__del__()
    plugin.__del__()
    del plugin

    compiled = CompiledPlugin(plugin_path("noop"), functions=[])
    compiled.__del__()
    compiled.__del__()

    with extism.Plugin(plugin_path("noop"), functions=[]) as plugin:
        plugin.call("run", "")
    # Leaving the with-block freed it; the object's own finaliser must not free it again.
    del plugin
    gc.collect()


def test_many_plugins_created_and_freed():
    compiled = CompiledPlugin(plugin_path("count_vowels"), functions=[])
    for i in range(50):
        plugin = extism.Plugin(compiled)
        assert count_vowels(plugin, "a" * i)["count"] == i
        plugin.__del__()
    compiled.__del__()
    gc.collect()
