#!/usr/bin/env python3
"""Fails when a module of src/ uses a module that is not in a layer below its own.

The layers, lowest first (lib.rs, which only declares modules and re-exports the public API,
is exempt; src/bin is a separate crate and can reach only the public API):
"""
import re
import sys
from pathlib import Path

LAYERS = [
    ["error", "environment"],
    ["stack", "validate", "pool", "process"],
    ["manifest", "vars", "log", "disk_cache", "kernel", "linear_memory"],
    ["http", "store"],
    ["timer", "wasi", "host_fn"],
    ["pdk"],
    ["engine"],
    ["link"],
    ["plugin"],
    ["compile"],
    ["ffi"],
]
__doc__ += "\n".join(f"  L{i} {' '.join(names)}" for i, names in enumerate(LAYERS))

LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}
USE = re.compile(r"\bcrate::([A-Za-z_][A-Za-z0-9_]*)")


def code_lines(path):
    """The lines of `path` with comments (including doc comments) removed."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        yield number, line.split("//", 1)[0]


def main():
    src = Path(__file__).resolve().parent.parent / "src"
    problems = []
    modules = sorted(src.glob("*.rs")) + sorted((src / "ffi").glob("*.rs"))
    for path in modules:
        name = "ffi" if path.parent.name == "ffi" else path.stem
        if name == "lib":
            continue
        if name not in LEVEL:
            problems.append(f"{path}: module `{name}` has no layer in .ci/layers.py")
            continue
        for number, line in code_lines(path):
            for used in USE.findall(line):
                where = f"{path.relative_to(src.parent)}:{number}"
                if used not in LEVEL:
                    problems.append(f"{where}: `crate::{used}` names no module; use the defining module")
                elif used != name and LEVEL[used] >= LEVEL[name]:
                    problems.append(
                        f"{where}: `{name}` (L{LEVEL[name]}) uses `{used}` (L{LEVEL[used]}), "
                        "which is not below it"
                    )
    for problem in problems:
        print(problem)
    if problems:
        print(f"layers: {len(problems)} import(s) against the layers\n{__doc__}")
        return 1
    print(f"layers: {len(modules)} files, every import points to a lower layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
