"""libextism for the official Extism Python SDK, built from the Rust drop-in replacement.

`ffi` holds the cffi declarations of the C API (include/extism.h) and `lib` is the library,
libextism_sys.so beside this file, loaded through them: the module the reference `extism-sys`
package provides, with the same names. `ffi.string(lib.extism_version())` gives the library's
version.
"""

__all__ = ["lib", "ffi"]

import os

from .ffi import ffi

lib = ffi.dlopen(os.path.join(os.path.dirname(__file__), "libextism_sys.so"))
del os
