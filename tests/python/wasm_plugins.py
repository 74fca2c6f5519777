"""Locations and digests of the test plugins shared with the C tests (c-tests/plugins)."""

import hashlib
import pathlib

PLUGINS = pathlib.Path(__file__).resolve().parents[2] / "c-tests" / "plugins"


def plugin_path(name: str) -> str:
    return str(PLUGINS / f"{name}.wasm")


def plugin_bytes(name: str) -> bytes:
    return (PLUGINS / f"{name}.wasm").read_bytes()


def sha256_of(name: str) -> str:
    return hashlib.sha256(plugin_bytes(name)).hexdigest()
