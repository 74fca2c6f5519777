"""Timeouts from the manifest and cancellation through the SDK's cancel handle."""

import threading
import time

import extism
import pytest

from wasm_plugins import plugin_path

# A backstop for the cancellation tests: if cancel failed, the call still ends with this
# timeout instead of hanging the suite. The elapsed time tells the two apart.
BACKSTOP_MS = 20_000


def traps_plugin(timeout_ms):
    return extism.Plugin(
        {"wasm": [{"path": plugin_path("traps")}], "timeout_ms": timeout_ms}, functions=[]
    )


def test_manifest_timeout():
    with traps_plugin(200) as plugin:
        started = time.monotonic()
        with pytest.raises(extism.Error, match="^timeout$"):
            plugin.call("infinite_loop", "")
        elapsed = time.monotonic() - started
        assert 0.15 <= elapsed < 5, elapsed
        # The plugin stays usable, and the limit applies to every call.
        with pytest.raises(extism.Error, match="^timeout$"):
            plugin.call("infinite_loop", "")


def test_timeout_does_not_affect_quick_calls():
    manifest = {"wasm": [{"path": plugin_path("count_vowels")}], "timeout_ms": 5_000}
    with extism.Plugin(manifest, functions=[]) as plugin:
        for _ in range(3):
            assert plugin.call("count_vowels", "aeiou").startswith(b'{"count":5')


def run_in_thread(plugin, export):
    outcome = {}

    def target():
        started = time.monotonic()
        try:
            outcome["result"] = plugin.call(export, "")
        except extism.Error as err:
            outcome["error"] = str(err)
        outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def test_cancel_from_another_thread():
    with traps_plugin(BACKSTOP_MS) as plugin:
        handle = plugin.cancel_handle()
        thread, outcome = run_in_thread(plugin, "infinite_loop")
        time.sleep(0.3)
        assert handle.cancel() is True
        thread.join(timeout=BACKSTOP_MS / 1000 + 10)
        assert not thread.is_alive()
        assert outcome.get("error") == "timeout"
        assert outcome["elapsed"] < 10, outcome


def test_cancel_when_idle_does_not_affect_later_calls():
    manifest = {"wasm": [{"path": plugin_path("count_vowels")}]}
    with extism.Plugin(manifest, functions=[]) as plugin:
        handle = plugin.cancel_handle()
        assert handle.cancel() is True
        assert plugin.call("count_vowels", "aa").startswith(b'{"count":2')


def test_cancel_then_plugin_still_usable():
    with traps_plugin(BACKSTOP_MS) as plugin:
        handle = plugin.cancel_handle()
        for _ in range(2):
            thread, outcome = run_in_thread(plugin, "infinite_loop")
            time.sleep(0.2)
            handle.cancel()
            thread.join(timeout=BACKSTOP_MS / 1000 + 10)
            assert outcome.get("error") == "timeout"
            assert outcome["elapsed"] < 10, outcome
