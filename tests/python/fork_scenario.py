"""The scenario of test_fork.py, run as a program of its own so that its environment (no disk
cache: every module is really compiled) and the library's state are fresh.

The parent makes a call that times out, compiles a module and reads a file through WASI;
then children forked by multiprocessing (start method 'fork', as pre-fork servers do) use the
parent's plugins and make new ones. Each child's task must end within CHILD_SECONDS. Prints
one line per task and exits 0 when all passed.

    usage: python fork_scenario.py
"""

import multiprocessing
import os
import pathlib
import sys
import tempfile

import extism

from wasm_plugins import plugin_path

CHILD_SECONDS = 15
CONTENT = "written by the parent"

# Made in the parent before forking; the children inherit them.
PARENT = {}


def traps(timeout_ms=None):
    manifest = {"wasm": [{"path": plugin_path("traps")}]}
    if timeout_ms is not None:
        manifest["timeout_ms"] = timeout_ms
    return extism.Plugin(manifest, functions=[])


def generated_module(seed):
    """WAT text with 400 exports, f0 ... f399, each returning seed * 1000 + its number."""
    funcs = "".join(
        f'(func (export "f{i}") (result i32) (i32.add (i32.const {seed * 1000}) (i32.const {i})))\n'
        for i in range(400)
    )
    return f"(module\n{funcs})\n".encode()


def times_out(plugin):
    try:
        plugin.call("infinite_loop", "")
    except extism.Error as err:
        return str(err) == "timeout"
    return False


def compiles(seed):
    with extism.Plugin(generated_module(seed), functions=[]) as plugin:
        try:
            plugin.call("f399", "")
        except extism.Error as err:
            # A non-zero return code is reported as an error carrying it.
            return str(seed * 1000 + 399) in str(err)
    return False


def reads_file(plugin):
    return bytes(plugin.call("read_file", "/data/file.txt")) == CONTENT.encode()


def files_plugin():
    manifest = {
        "wasm": [{"path": plugin_path("wasi_hello")}],
        "allowed_paths": {PARENT["dir"]: "/data"},
    }
    return extism.Plugin(manifest, wasi=True, functions=[])


def child_inherited_plugins():
    return times_out(PARENT["timed"]) and reads_file(PARENT["files"])


def child_new_plugins():
    with traps(300) as timed, files_plugin() as files:
        return times_out(timed) and reads_file(files)


def child_compiles():
    return compiles(os.getpid() % 1000 + 10)


def main():
    with tempfile.TemporaryDirectory() as folder:
        (pathlib.Path(folder) / "file.txt").write_text(CONTENT)
        PARENT["dir"] = folder
        PARENT["timed"] = traps(300)
        PARENT["files"] = files_plugin()
        ok = times_out(PARENT["timed"]) and compiles(1) and reads_file(PARENT["files"])
        print(f"parent before forking: {'ok' if ok else 'FAILED'}")
        all_ok = ok
        context = multiprocessing.get_context("fork")
        for task in (child_inherited_plugins, child_new_plugins, child_compiles):
            with context.Pool(1) as pool:
                try:
                    ok = pool.apply_async(task).get(timeout=CHILD_SECONDS)
                    result = "ok" if ok else "FAILED"
                except multiprocessing.TimeoutError:
                    ok, result = False, f"FAILED: no answer within {CHILD_SECONDS} s"
                pool.terminate()
            print(f"{task.__name__}: {result}")
            all_ok = all_ok and ok
        ok = times_out(PARENT["timed"]) and compiles(2) and reads_file(PARENT["files"])
        print(f"parent after forking: {'ok' if ok else 'FAILED'}")
        all_ok = all_ok and ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
