//! Generates `include/extism.h` from the C API in `src/ffi` with cbindgen, using the committed
//! `cbindgen.toml`. A generation failure fails the build; the file is rewritten only when its
//! contents change.

use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| format!("reading cbindgen.toml: {e}"))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .map_err(|e| format!("generating include/extism.h: {e}"))?;
    bindings.write_to_file(crate_dir.join("include/extism.h"));
    // Installed shared libraries carry their ABI major version in the soname.
    if std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libextism.so.1");
    }
    Ok(())
}
