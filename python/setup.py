"""Builds the `extism-sys` wheel from this repository.

The official Extism Python SDK (`extism` on PyPI) does `from extism_sys import lib, ffi`: `ffi`
holds cffi's declarations of the C API and `lib` is `ffi.dlopen` of
extism_sys/libextism_sys.so. This wheel provides the same module with this repository's
library in that file:

- cargo builds the library (`cargo rustc --lib`, through setuptools-rust) with the crate types
  Cargo.toml lists, so a target directory that already holds a current build of the same
  profile is reused as it is; the shared library is copied in as extism_sys/libextism_sys.so;
- extism_sys/ffi.py is generated with cffi from include/extism.h, which that cargo build
  writes (ABI mode: no C compiler, nothing tied to a Python version), after the build;
- the version is Cargo.toml's plus the local label `+dropin`; the wheel is tagged
  py3-none-<platform>, as the library does not use Python's C API;
- CARGO, read by setuptools-rust, names the cargo to run: scripts/release.sh sets it to
  scripts/portable-cargo.sh, so that the release wheel holds the release's library (glibc 2.17,
  tagged manylinux_2_17 with --plat-name).

The package must be built from a checkout of the repository (`pip install ./python`,
`pip wheel ./python`): it reads ../Cargo.toml and ../include/extism.h.
"""

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools_rust import Binding, RustExtension
from setuptools_rust.build import build_rust

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CARGO_TOML = ROOT / "Cargo.toml"
HEADER = ROOT / "include" / "extism.h"
# The name the official SDK's extism_sys loads; the module that loads it is extism_sys/__init__.py.
LIBRARY_FILE = "libextism_sys.so"
# Marks the version as this library's, not a release of the reference extism-sys.
LOCAL_LABEL = "dropin"

if not CARGO_TOML.is_file() or not HEADER.is_file():
    sys.exit(
        f"extism-sys: {CARGO_TOML} or {HEADER} not found. Build this package from a checkout "
        "of the repository (pip >= 21.3 builds `pip install ./python` in place); an sdist of "
        "it cannot be built."
    )

with CARGO_TOML.open("rb") as f:
    CARGO = tomllib.load(f)


def cffi_declarations(header: str) -> str:
    """The C declarations of `header` in the form cffi's cdef accepts.

    cdef takes no preprocessor directives: the includes, `#pragma once` and the macros are
    dropped (the macros are for C sources; the SDK uses none), and so are the C++-only lines
    between `#ifdef __cplusplus` and `#endif`. Any other conditional is refused, so a header
    that grows one fails the build instead of yielding wrong declarations.
    """
    kept = []
    in_cplusplus = False
    continued = False
    for number, line in enumerate(header.splitlines(), start=1):
        stripped = line.strip()
        if continued:
            continued = stripped.endswith("\\")
            continue
        if stripped.startswith("#"):
            directive = stripped[1:].split()
            name = directive[0] if directive else ""
            if name in ("pragma", "include", "define"):
                continued = stripped.endswith("\\")
            elif directive[:2] == ["ifdef", "__cplusplus"] and not in_cplusplus:
                in_cplusplus = True
            elif name == "endif" and in_cplusplus:
                in_cplusplus = False
            else:
                raise ValueError(f"{HEADER}:{number}: unexpected directive for cffi: {stripped}")
            continue
        if not in_cplusplus:
            kept.append(line)
    if in_cplusplus:
        raise ValueError(f"{HEADER}: `#ifdef __cplusplus` without its `#endif`")
    return "\n".join(kept) + "\n"


def write_ffi_module(path: str) -> None:
    """Writes the cffi ABI-mode module (the `ffi` object) for the current header to `path`."""
    import cffi

    builder = cffi.FFI()
    builder.cdef(cffi_declarations(HEADER.read_text(encoding="utf-8")))
    builder.set_source("extism_sys.ffi", None)
    builder.emit_python_code(path)


class BuildLibrary(build_rust):
    """Builds the library, copies it in as extism_sys/libextism_sys.so, writes ffi.py beside it."""

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        # setuptools-rust names the file like a Python extension module
        # (libextism_sys.cpython-311-x86_64-linux-gnu.so); extism_sys loads it by the plain name.
        module_dir = os.path.dirname(super().get_dylib_ext_path(ext, target_fname))
        return os.path.join(module_dir, LIBRARY_FILE)

    def run(self) -> None:
        super().run()
        # After the cargo build, which regenerates include/extism.h from the sources.
        for ext in self.distribution.rust_extensions:
            module_dir = os.path.dirname(self.get_dylib_ext_path(ext, ext.name))
            write_ffi_module(os.path.join(module_dir, "ffi.py"))


class BdistWheel(bdist_wheel):
    """Tags the wheel py3-none-<platform>: the library does not link against Python.

    A platform given with --plat-name is kept as written (lower case, `-` as `_`), so that a
    compressed tag set such as manylinux_2_17_x86_64.manylinux2014_x86_64 (scripts/release.sh)
    keeps its dot; bdist_wheel itself would turn the dot into `_`.
    """

    def get_tag(self):
        _, _, platform = super().get_tag()
        if self.plat_name_supplied and self.plat_name:
            platform = self.plat_name.lower().replace("-", "_")
        return "py3", "none", platform


build_dir = ROOT / "build" / "python-package"
build_dir.mkdir(parents=True, exist_ok=True)
setup(
    version=f"{CARGO['package']['version']}+{LOCAL_LABEL}",
    rust_extensions=[
        RustExtension(
            "extism_sys.libextism_sys",
            path=str(CARGO_TOML),
            binding=Binding.NoBinding,
            # The crate types of Cargo.toml, passed explicitly: without them setuptools-rust
            # asks cargo for a cdylib alone, a configuration of its own that cargo would
            # compile separately from `cargo build --lib` (and from the CMake build).
            args=[arg for kind in CARGO["lib"]["crate-type"] for arg in ("--crate-type", kind)],
            cargo_manifest_args=["--locked"],
        )
    ],
    cmdclass={"build_rust": BuildLibrary, "bdist_wheel": BdistWheel},
    # setuptools' intermediate files go to the repository's build/, not into python/.
    options={
        "build": {"build_base": str(build_dir / "build")},
        "egg_info": {"egg_base": str(build_dir)},
    },
    zip_safe=False,
)
