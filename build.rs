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
    // Installed shared libraries carry their ABI major version in the soname (`cmake --install`
    // lays out libextism.so.<version> and its links). The release tarball holds one file,
    // libextism.so, which is all the reference's installer copies, so its build
    // (scripts/portable-cargo.sh) names that file instead through EXTISM_SONAME.
    println!("cargo:rerun-if-env-changed=EXTISM_SONAME");
    if std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux") {
        let soname = std::env::var("EXTISM_SONAME").unwrap_or_else(|_| "libextism.so.1".into());
        if soname.is_empty() || soname.contains([',', '/']) {
            return Err(format!("EXTISM_SONAME={soname:?} is not a file name").into());
        }
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    Ok(())
}
