"""Host functions through the SDK's `host_fn` decorator, with explicit and inferred signatures.

Every plugin here gets an explicit `functions=[...]` list: the decorator also adds each function
to the SDK's process-wide registry, which is the default list, and several functions below share
the import name `hello_world`.
"""

import gc
import json
import threading
import typing

import extism
import pytest
from extism import ValType

# CompiledPlugin is public in the SDK's module but not re-exported by the package.
from extism.extism import CompiledPlugin

from wasm_plugins import plugin_path

# host_fn_hello's call_hello: passes its input block to user hello_world (i64) -> i64 and
# outputs the returned block.
HELLO = plugin_path("host_fn_hello")


@extism.host_fn(name="hello_world", signature=([ValType.PTR], [ValType.PTR]))
def hello_explicit(plugin, params, results):
    text = plugin.input_string(params[0])
    plugin.return_string(results[0], f"explicit: {text}")


@extism.host_fn(
    name="hello_world", signature=([ValType.I64], [ValType.I64]), user_data=b"secret"
)
def hello_user_data(plugin, params, results, user_data):
    plugin.return_bytes(results[0], user_data + b":" + plugin.input_bytes(params[0]))


@extism.host_fn(name="hello_world")
def hello_str(text: str) -> str:
    return f"Hello, {text}!"


@extism.host_fn(name="hello_world")
def hello_bytes(data: bytes) -> bytes:
    return bytes(reversed(data))


@extism.host_fn(name="hello_world")
def hello_json(doc: typing.Annotated[dict, extism.Json]) -> typing.Annotated[dict, extism.Json]:
    return {"keys": sorted(doc), "sum": sum(doc.values())}


@extism.host_fn(name="hello_world")
def hello_context(plugin: extism.CurrentPlugin, text: str) -> str:
    context = plugin.host_context()
    if context is None:
        return f"{text} without context"
    context["seen"].append(text)
    return f"{text} in {context['name']}"


@extism.host_fn(name="hello_world")
def hello_memory(plugin: extism.CurrentPlugin, data: bytes) -> bytes:
    # Allocate and free blocks around the result to exercise the memory functions.
    scratch = plugin.alloc(64)
    assert scratch.offset != 0
    plugin.memory(scratch)[:] = b"\xaa" * 64
    assert plugin.memory_at_offset(scratch.offset).length == 64
    plugin.free(scratch)
    return data * 2


def call_hello(function, data, **kwargs):
    with extism.Plugin(HELLO, functions=[function]) as plugin:
        return plugin.call("call_hello", data, **kwargs)


def test_explicit_signature():
    assert call_hello(hello_explicit, "world") == b"explicit: world"


def test_explicit_signature_with_user_data():
    assert call_hello(hello_user_data, b"abc") == b"secret:abc"


def test_inferred_str():
    assert call_hello(hello_str, "Python") == b"Hello, Python!"
    assert call_hello(hello_str, "") == b"Hello, !"


def test_inferred_bytes():
    assert call_hello(hello_bytes, b"\x01\x02\x03\xff") == b"\xff\x03\x02\x01"


def test_inferred_json():
    out = call_hello(hello_json, json.dumps({"b": 2, "a": 40}))
    assert json.loads(out) == {"keys": ["a", "b"], "sum": 42}


def test_memory_alloc_and_free_in_host_function():
    assert call_hello(hello_memory, b"xy") == b"xyxy"


def test_host_context():
    context = {"name": "ctx", "seen": []}
    with extism.Plugin(HELLO, functions=[hello_context]) as plugin:
        assert plugin.call("call_hello", "one", host_context=context) == b"one in ctx"
        assert plugin.call("call_hello", "two", host_context=context) == b"two in ctx"
        # Without a context argument the SDK passes a handle to None.
        assert plugin.call("call_hello", "three") == b"three without context"
    assert context["seen"] == ["one", "two"]


def test_host_function_called_many_times():
    with extism.Plugin(HELLO, functions=[hello_str]) as plugin:
        for i in range(200):
            assert plugin.call("call_hello", str(i)) == f"Hello, {i}!".encode()


# host_fn.wasm imports one function of each value type, and one from namespace "custom".
@extism.host_fn(signature=([ValType.I32, ValType.I32], [ValType.I32]))
def add_i32(plugin, params, results):
    results[0].value = params[0].value + params[1].value


@extism.host_fn(signature=([ValType.I64, ValType.I64], [ValType.I64]))
def add_i64(plugin, params, results):
    results[0].value = params[0].value + params[1].value


# SDK 1.1.1 cannot hand float results back (its _convert_output compares the C type code with
# the ValType enum and raises), so the float functions record their arguments instead.
FLOAT_ARGUMENTS = []


@extism.host_fn(signature=([ValType.F32, ValType.F32], [ValType.F32]))
def mul_f32(plugin, params, results):
    FLOAT_ARGUMENTS.append(("f32", params[0].t, params[0].value, params[1].value))


@extism.host_fn(signature=([ValType.F64, ValType.F64], [ValType.F64]))
def mul_f64(plugin, params, results):
    FLOAT_ARGUMENTS.append(("f64", params[0].t, params[0].value, params[1].value))


@extism.host_fn(signature=([], [ValType.I32, ValType.I64]))
def pair(plugin, params, results):
    results[0].value = -3
    results[1].value = 1 << 40


@extism.host_fn(namespace="custom")
def shout(text: str) -> str:
    return text.upper() + "!"


HOST_FN_FUNCTIONS = [hello_str, add_i32, add_i64, mul_f32, mul_f64, pair, shout]


@pytest.mark.parametrize(
    "export,expected",
    [
        ("call_add_i32", b"42"),
        ("call_add_i64", b"1099511627778"),
        ("call_pair", b"-3,1099511627776"),
        ("call_hello", b"Hello, abc!"),
        ("call_shout", b"ABC!"),
    ],
)
def test_value_types_and_namespaces(export, expected):
    with extism.Plugin(plugin_path("host_fn"), functions=HOST_FN_FUNCTIONS) as plugin:
        assert plugin.call(export, "abc") == expected


@pytest.mark.parametrize(
    "export,expected",
    [("call_mul_f32", ("f32", ValType.F32, 1.5, 4.0)), ("call_mul_f64", ("f64", ValType.F64, 2.5, 4.0))],
)
# The SDK's failure to store the result is reported as an exception ignored in a cffi callback.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_float_arguments(export, expected):
    FLOAT_ARGUMENTS.clear()
    with extism.Plugin(plugin_path("host_fn"), functions=HOST_FN_FUNCTIONS) as plugin:
        plugin.call(export, "")
    assert FLOAT_ARGUMENTS == [expected]


def test_wrong_namespace_fails_creation():
    @extism.host_fn(name="shout")
    def shout_in_user(text: str) -> str:
        return text

    functions = [hello_str, add_i32, add_i64, mul_f32, mul_f64, pair, shout_in_user]
    with pytest.raises(extism.Error, match="shout"):
        extism.Plugin(plugin_path("host_fn"), functions=functions)


def test_compiled_plugin_shares_host_functions():
    compiled = CompiledPlugin(HELLO, functions=[hello_str])
    plugins = [extism.Plugin(compiled) for _ in range(3)]
    for i, plugin in enumerate(plugins):
        assert plugin.call("call_hello", f"p{i}") == f"Hello, p{i}!".encode()
    compiled.__del__()
    # The plugins keep the functions after the compiled plugin is gone.
    for i, plugin in enumerate(plugins):
        assert plugin.call("call_hello", f"q{i}") == f"Hello, q{i}!".encode()
        plugin.__del__()


def test_host_functions_on_several_threads():
    compiled = CompiledPlugin(HELLO, functions=[hello_str])
    failures = []

    def worker(n):
        try:
            with extism.Plugin(compiled) as plugin:
                for i in range(20):
                    expected = f"Hello, {n}-{i}!".encode()
                    got = plugin.call("call_hello", f"{n}-{i}")
                    if got != expected:
                        failures.append((expected, got))
        except Exception as exc:  # reported below, on the main thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    compiled.__del__()


def test_function_wrappers_freed_after_use():
    # The SDK frees its ExtismFunction wrappers right after compiling (extism_function_free
    # after registration), so the plugin must not depend on them.
    with extism.Plugin(HELLO, functions=[hello_bytes]) as plugin:
        gc.collect()
        assert plugin.call("call_hello", b"ab") == b"ba"
    gc.collect()


def test_functions_freed_on_every_path():
    # Each round registers the function anew, then frees plugin, compiled plugin and the
    # SDK's function wrappers; failed constructors must free what they were given too.
    for i in range(20):
        compiled = CompiledPlugin(HELLO, functions=[hello_str])
        with extism.Plugin(compiled) as plugin:
            assert plugin.call("call_hello", str(i)) == f"Hello, {i}!".encode()
        compiled.__del__()
        with pytest.raises(extism.Error):
            CompiledPlugin({"wasm": [{"path": "nope.wasm"}]}, functions=[hello_str])
        with pytest.raises(extism.Error):
            extism.Plugin(plugin_path("host_fn"), functions=[hello_str])
        gc.collect()
