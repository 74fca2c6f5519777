//! `extism`: call Extism plugins from the command line.
//!
//! `extism call PLUGIN FUNCTION` loads a wasm file, WAT file or manifest, calls `FUNCTION`
//! with the input, prints the output to stdout and the plugin's error to stderr, and exits
//! non-zero on failure. Run with no arguments (or `extism demo`) to see a bundled plugin work.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use extism::{Manifest, PluginBuilder, Wasm};

/// The bundled demo: a vowel counter written with the official AssemblyScript PDK.
const DEMO_PLUGIN: &[u8] = include_bytes!("../../c-tests/plugins/count_vowels.wasm");
const DEMO_INPUT: &str = "Hello, world! Extism plugins run anywhere.";

#[derive(Parser)]
#[command(name = "extism", version, about = "Call Extism WebAssembly plugins")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Call a function of a plugin.
    #[command(after_help = "Examples:\n  \
        extism call count_vowels.wasm count_vowels --input 'Hello, World!'\n  \
        echo -n 'Hello' | extism call plugin.wat greet --wasi\n  \
        extism call manifest.json count_vowels --config vowels=aeiouy --input-file in.txt")]
    Call(CallArgs),
    /// Call the bundled vowel-counting plugin.
    Demo,
}

#[derive(clap::Args)]
struct CallArgs {
    /// A .wasm file, a .wat file, or a JSON/TOML manifest.
    plugin: PathBuf,
    /// The exported function to call.
    function: String,
    /// Input text (default: standard input).
    #[arg(long, conflicts_with = "input_file")]
    input: Option<String>,
    /// Read the input from a file.
    #[arg(long)]
    input_file: Option<PathBuf>,
    /// A config value for the plugin, KEY=VALUE (repeatable).
    #[arg(long = "config", value_parser = parse_key_value)]
    config: Vec<(String, String)>,
    /// Enable WASI.
    #[arg(long)]
    wasi: bool,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None | Some(Command::Demo) => demo(),
        Some(Command::Call(args)) => call(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn demo() -> Result<(), String> {
    let plugin = PluginBuilder::new(DEMO_PLUGIN)
        .build()
        .map_err(|e| e.to_string())?;
    println!("Calling count_vowels from the bundled plugin with input {DEMO_INPUT:?}");
    let output = plugin
        .call("count_vowels", DEMO_INPUT)
        .map_err(|e| e.to_string())?;
    println!("{}", String::from_utf8_lossy(&output));
    Ok(())
}

/// Reads the plugin file: a manifest is parsed so that `--config` can be merged into it.
fn load(args: &CallArgs) -> Result<PluginBuilder, String> {
    let bytes = std::fs::read(&args.plugin)
        .map_err(|e| format!("cannot read {}: {e}", args.plugin.display()))?;
    let is_module = bytes.starts_with(b"\0asm")
        || args.plugin.extension().is_some_and(|e| e == "wat" || e == "wasm");
    let mut manifest = if is_module {
        Manifest::new([Wasm::data(bytes)])
    } else {
        Manifest::parse(&bytes).map_err(|e| format!("{}: {e}", args.plugin.display()))?
    };
    manifest.config.extend(args.config.iter().cloned());
    Ok(PluginBuilder::from_manifest(manifest).with_wasi(args.wasi))
}

fn call(args: CallArgs) -> Result<(), String> {
    let input = match (&args.input, &args.input_file) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(path)) => {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        }
        (None, None) => {
            let mut buffer = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buffer)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            buffer
        }
    };
    let plugin = load(&args)?.build().map_err(|e| e.to_string())?;
    let outcome = plugin.call_with_context(&args.function, &input, 0);
    let output = plugin.output();
    std::io::stdout()
        .write_all(&output)
        .and_then(|()| std::io::stdout().flush())
        .map_err(|e| format!("cannot write output: {e}"))?;
    match (outcome.error, outcome.rc) {
        (Some(error), rc) => Err(format!("error (rc {rc}): {error}")),
        (None, 0) => Ok(()),
        (None, rc) => Err(format!("error: the call returned {rc}")),
    }
}
