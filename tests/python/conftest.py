"""Shared fixtures for the Python SDK suite.

The suite runs the official `extism` SDK unchanged. Which C library sits behind it is decided
by the virtual environment (see run.sh); `library` tells the few tests that assert a
documented difference (docs/abi.md section 9) which side of it they are on.
"""

import ctypes
import os

import extism_sys
import pytest

# An additive symbol (docs/abi.md section 10) that only this project's library exports.
_OURS_ONLY_SYMBOL = "extism_current_plugin_set_error"


# The file the SDK loads; for our library it is a symlink into target/.
LIBRARY_PATH = os.path.realpath(
    os.path.join(os.path.dirname(extism_sys.__file__), "libextism_sys.so")
)
LIBRARY = "ours" if hasattr(ctypes.CDLL(LIBRARY_PATH), _OURS_ONLY_SYMBOL) else "reference"


def pytest_report_header(config):
    return f"libextism under test: {LIBRARY} ({LIBRARY_PATH})"


def pytest_sessionstart(session):
    wanted = os.environ.get("EXTISM_TEST_LIBRARY")
    if wanted and wanted != LIBRARY:
        raise pytest.UsageError(
            f"EXTISM_TEST_LIBRARY={wanted} but the SDK loads the {LIBRARY} library"
        )


@pytest.fixture
def library() -> str:
    """'ours' or 'reference': the library the SDK has loaded."""
    return LIBRARY

