"""Process-wide buffered logging through `set_log_custom` and the logger's `drain`.

Logging can be installed once per process, so this is the only test that installs it.
"""

import re

import extism

from wasm_plugins import plugin_path


def test_set_log_custom_and_drain():
    lines = []
    logger = extism.set_log_custom(lines.append, "info")

    with extism.Plugin(plugin_path("log"), functions=[]) as plugin:
        # get_log_level reports info (2) once the sink is installed with that level.
        assert plugin.call("log_all", "") == b"2"
        plugin_id = str(plugin.id)

    logger.drain()
    plugin_lines = [line for line in lines if "extism::pdk" in line]
    messages = [re.search(r"extism::pdk: (\S+)", line).group(1) for line in plugin_lines]
    assert messages == ["i", "w", "e"], lines
    for line, level in zip(plugin_lines, ["INFO", "WARN", "ERROR"]):
        assert line.endswith("\n")
        assert re.search(rf"\b{level}\b", line), line
        assert plugin_id in line, line

    # A drain empties the buffer.
    lines.clear()
    logger.drain()
    assert lines == []
