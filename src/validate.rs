//! Checks on a module's shape that run before it is compiled, and only then: a module loaded
//! from the in-memory or on-disk cache was checked when it was compiled.
//!
//! Cranelift's time and memory grow with the square of how deeply a function nests its blocks:
//! one function of 40,000 nested result blocks (120 KB of wasm) takes 3 GiB and 9 s to compile.
//! Modules that nest deeper than [`MAX_BLOCK_DEPTH`] are refused before compilation. Real code
//! stays far below it: compilers nest one block per `switch` case, so a switch of a few thousand
//! cases (a generated lexer, say) is the deepest nesting found in practice.

use wasmparser::{
    Operator, OperatorsReader, OperatorsReaderAllocations, Parser, Payload, TypeRef, WasmFeatures,
};

use wasmtime::{Engine, Module};

use crate::error::{Error, Result};

/// The deepest nesting of `block`, `loop`, `if`, `try` and `try_table` accepted in one function.
/// At this depth one function of nested result blocks compiles in about 0.3 s with 220 MiB.
pub(crate) const MAX_BLOCK_DEPTH: u32 = 10_000;

/// Compiles `bytes` (wasm or WAT) if they pass the checks: every compilation from source goes
/// through here.
pub(crate) fn compile_checked(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
    // WAT is converted once, here, for the check and the compiler both; a syntax error reads
    // as the compiler would report it.
    let wasm = wat::parse_bytes(bytes)?;
    check_block_depth(&wasm)?;
    Module::new(engine, &wasm)
}

/// Refuses a wasm binary when a function nests blocks deeper than [`MAX_BLOCK_DEPTH`].
///
/// A binary that does not parse is left to the compiler, which reports it in its own words:
/// the scan enables every wasm feature, so it reads at least what the compiler reads.
fn check_block_depth(wasm: &[u8]) -> Result<()> {
    match deepest_function(wasm) {
        Some((function, depth)) if depth > MAX_BLOCK_DEPTH => Err(Error::msg(format!(
            "function {function} nests blocks more than {MAX_BLOCK_DEPTH} deep, the most this \
             library compiles (found {depth} before stopping)"
        ))),
        _ => Ok(()),
    }
}

/// The function index (imported functions counted, as in wasm backtraces) and block depth of
/// the most deeply nested function; the scan stops at the first function deeper than
/// [`MAX_BLOCK_DEPTH`]. `None` when the module has no functions or does not parse.
fn deepest_function(wasm: &[u8]) -> Option<(u32, u32)> {
    let mut parser = Parser::new(0);
    parser.set_features(WasmFeatures::all());
    let mut deepest: Option<(u32, u32)> = None;
    let mut allocations = OperatorsReaderAllocations::default();
    let mut function: u32 = 0;
    for payload in parser.parse_all(wasm) {
        let body = match payload.ok()? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if let TypeRef::Func(_) | TypeRef::FuncExact(_) = import.ok()?.ty {
                        function = function.saturating_add(1);
                    }
                }
                continue;
            }
            Payload::CodeSectionEntry(body) => body,
            _ => continue,
        };
        let operators = body.get_binary_reader_for_operators().ok()?;
        let mut reader = OperatorsReader::new_with_allocs(operators, allocations);
        let mut depth: u32 = 0;
        let mut max: u32 = 0;
        while !reader.eof() && max <= MAX_BLOCK_DEPTH {
            match reader.read().ok()? {
                Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::Try { .. }
                | Operator::TryTable { .. } => {
                    depth += 1;
                    max = max.max(depth);
                }
                Operator::End | Operator::Delegate { .. } => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        allocations = reader.into_allocations();
        if deepest.is_none_or(|(_, d)| max > d) {
            deepest = Some((function, max));
        }
        if max > MAX_BLOCK_DEPTH {
            break;
        }
        function = function.saturating_add(1);
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(
            "(module (import \"a\" \"f\" (func)) (import \"a\" \"m\" (memory 1))
               (import \"a\" \"g\" (func)) (func) (func {} {}))",
            "block ".repeat(depth),
            "end ".repeat(depth)
        )
    }

    #[test]
    fn depth_is_reported_with_the_function_index_of_backtraces() {
        let wasm = wat::parse_str(nested(10_000)).unwrap();
        assert_eq!(deepest_function(&wasm), Some((3, 10_000)));
        check_block_depth(&wasm).unwrap();
        let err = check_block_depth(&wat::parse_str(nested(10_001)).unwrap()).unwrap_err();
        assert_eq!(
            err.message(),
            "function 3 nests blocks more than 10000 deep, the most this library compiles \
             (found 10001 before stopping)"
        );
        // Loops, ifs and try_table count too; `else` does not open a block.
        let wat = "(module (func (loop (if (i32.const 0) (then (block)) (else \
                   (try_table (block (nop))))))))";
        let wasm = wat::parse_str(wat).unwrap();
        assert_eq!(deepest_function(&wasm), Some((0, 4)));
        // Input that does not parse is left to the compiler.
        check_block_depth(b"\0asm\x01\0\0\0\x0a\xff").unwrap();
    }

    /// Every test plugin, the compiled C and AssemblyScript ones included, with its depth.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn real_plugins_nest_far_below_the_limit() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("c-tests/plugins");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "wasm") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let start = std::time::Instant::now();
            let deepest = deepest_function(&bytes);
            eprintln!("{}: {deepest:?} in {:?}", path.display(), start.elapsed());
            if let Some((_, depth)) = deepest {
                assert!(depth <= MAX_BLOCK_DEPTH / 10, "{}: {depth}", path.display());
            }
            check_block_depth(&bytes).unwrap();
            seen += 1;
        }
        assert!(seen >= 20, "only {seen} plugins found");
    }
}
