"""fork(): a process that used plugins forks, as pre-fork servers do with multiprocessing's
'fork' start method; the children use the parent's plugins and make their own, and the parent
is unaffected (docs/abi.md D14). The scenario runs in a fresh interpreter (fork_scenario.py)
with the disk cache off, so that the children really compile."""

import os
import pathlib
import subprocess
import sys

import pytest

SCENARIO = pathlib.Path(__file__).with_name("fork_scenario.py")


def test_forked_children_use_the_library(library):
    if library == "reference":
        pytest.skip("the reference hangs in a forked child: docs/abi.md D14")
    env = dict(os.environ, EXTISM_CACHE_CONFIG="")
    run = subprocess.run(
        [sys.executable, str(SCENARIO)],
        cwd=SCENARIO.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    for line in (
        "parent before forking: ok",
        "child_inherited_plugins: ok",
        "child_new_plugins: ok",
        "child_compiles: ok",
        "parent after forking: ok",
    ):
        assert line in run.stdout, report
