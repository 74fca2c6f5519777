//! `extism`: call Extism plugins from the command line.
//!
//! `extism call PLUGIN FUNCTION` loads a wasm file, WAT file, manifest or URL, calls
//! `FUNCTION` with the input, prints the output to stdout and the plugin's error to stderr, and
//! exits non-zero on failure. `extism info PLUGIN` lists a plugin's exports and imports. Run
//! with no arguments (or `extism demo`) to see a bundled plugin work. `extism --version` prints
//! the library's version and the engine's.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::LazyLock;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use extism::{LogSink, Manifest, PluginBuilder, Wasm};

/// The bundled demo: a vowel counter written with the official AssemblyScript PDK.
const DEMO_PLUGIN: &[u8] = include_bytes!("../../c-tests/plugins/count_vowels.wasm");
const DEMO_INPUT: &str = "Hello, world! Extism plugins run anywhere.";

/// What `extism --version` prints after the program's name: the library's version and the
/// version of the wasmtime release it runs plugins on (wasmtime and wasmtime-environ are
/// released together, and wasmtime requires its own release of wasmtime-environ).
static VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (libextism drop-in replacement; engine: wasmtime {})",
        extism::VERSION,
        wasmtime_environ::VERSION
    )
});

#[derive(Parser)]
#[command(name = "extism", version = VERSION.as_str(), about = "Call Extism WebAssembly plugins")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Call a function of a plugin.
    #[command(after_help = "Examples:\n  \
        extism call count_vowels.wasm count_vowels --input 'Hello, World!'\n  \
        echo -n 'Bob' | extism call wasi_hello.wasm greet --wasi\n  \
        extism call manifest.toml run --config vowels=aeiouy --input-file in.txt --json\n  \
        extism call plugin.wasm fetch --allow-host '*.example.com' --timeout 5000\n  \
        extism call plugin.wasm run --wasi --allow-path ro:./data:/data --manifest")]
    Call(CallArgs),
    /// List a plugin's exported and imported functions.
    #[command(after_help = "Example:\n  extism info count_vowels.wasm")]
    Info(InfoArgs),
    /// Call the bundled vowel-counting plugin.
    Demo,
}

#[derive(Args)]
struct PluginArgs {
    /// A .wasm file, a .wat file, a JSON or TOML manifest, or an http(s) URL of a module.
    plugin: String,
    /// A config value for the plugin, KEY=VALUE (repeatable).
    #[arg(long = "config", value_parser = parse_key_value)]
    config: Vec<(String, String)>,
    /// Enable WASI.
    #[arg(long)]
    wasi: bool,
    /// Wall-clock limit for the call, in milliseconds.
    #[arg(long)]
    timeout: Option<u64>,
    /// Instruction budget for the call (about one unit per wasm instruction).
    #[arg(long)]
    fuel: Option<u64>,
    /// Memory budget in 64 KiB pages.
    #[arg(long)]
    max_pages: Option<u32>,
    /// Largest var store in bytes (0 disables vars).
    #[arg(long)]
    max_var_bytes: Option<u64>,
    /// Largest HTTP response body in bytes.
    #[arg(long)]
    max_http_response_bytes: Option<u64>,
    /// Mount a host directory for WASI, HOST:GUEST; prefix HOST with `ro:` for read-only
    /// (repeatable).
    #[arg(long = "allow-path", value_parser = parse_path_mapping)]
    allow_path: Vec<(String, PathBuf)>,
    /// Allow HTTP requests to hosts matching this glob (repeatable).
    #[arg(long = "allow-host")]
    allow_host: Vec<String>,
}

#[derive(Args)]
struct CallArgs {
    #[command(flatten)]
    plugin: PluginArgs,
    /// The exported function to call.
    function: String,
    /// Input text (default: standard input).
    #[arg(long, conflicts_with = "input_file")]
    input: Option<String>,
    /// Read the input from a file.
    #[arg(long)]
    input_file: Option<PathBuf>,
    /// Let the plugin read HTTP response headers.
    #[arg(long)]
    http_response_headers: bool,
    /// Log to standard error at this level (trace, debug, info, warn, error) or with a
    /// filter such as `extism=debug`.
    #[arg(long)]
    log_level: Option<String>,
    /// Print the effective manifest as JSON instead of calling.
    #[arg(long)]
    manifest: bool,
    /// Print a JSON object with rc, output, error and timings instead of the raw output.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct InfoArgs {
    #[command(flatten)]
    plugin: PluginArgs,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))
}

fn parse_path_mapping(text: &str) -> Result<(String, PathBuf), String> {
    let (prefix, rest) = match text.strip_prefix("ro:") {
        Some(rest) => ("ro:", rest),
        None => ("", text),
    };
    rest.rsplit_once(':')
        .map(|(host, guest)| (format!("{prefix}{host}"), PathBuf::from(guest)))
        .ok_or_else(|| format!("expected HOST:GUEST, got `{text}`"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None | Some(Command::Demo) => demo(),
        Some(Command::Call(args)) => call(args),
        Some(Command::Info(args)) => info(args),
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

/// The manifest the options describe: the plugin's own (if it is one) with the options merged.
fn manifest(args: &PluginArgs) -> Result<Manifest, String> {
    let mut manifest = if args.plugin.starts_with("http://") || args.plugin.starts_with("https://")
    {
        Manifest::new([Wasm::url(args.plugin.clone())])
    } else {
        let path = PathBuf::from(&args.plugin);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let is_module = bytes.starts_with(b"\0asm")
            || path.extension().is_some_and(|e| e == "wat" || e == "wasm");
        if is_module {
            Manifest::new([Wasm::data(bytes)])
        } else {
            Manifest::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    manifest.config.extend(args.config.iter().cloned());
    if args.timeout.is_some() {
        manifest.timeout_ms = args.timeout;
    }
    if args.max_pages.is_some() {
        manifest.memory.max_pages = args.max_pages;
    }
    if args.max_var_bytes.is_some() {
        manifest.memory.max_var_bytes = args.max_var_bytes;
    }
    if args.max_http_response_bytes.is_some() {
        manifest.memory.max_http_response_bytes = args.max_http_response_bytes;
    }
    if !args.allow_path.is_empty() {
        manifest
            .allowed_paths
            .get_or_insert_with(Default::default)
            .extend(args.allow_path.iter().cloned());
    }
    if !args.allow_host.is_empty() {
        manifest
            .allowed_hosts
            .get_or_insert_with(Vec::new)
            .extend(args.allow_host.iter().cloned());
    }
    Ok(manifest)
}

fn builder(args: &PluginArgs, manifest: Manifest) -> PluginBuilder<'static> {
    let builder = PluginBuilder::from_manifest(manifest).with_wasi(args.wasi);
    match args.fuel {
        Some(fuel) => builder.with_fuel_limit(fuel),
        None => builder,
    }
}

fn read_input(args: &CallArgs) -> Result<Vec<u8>, String> {
    match (&args.input, &args.input_file) {
        (Some(text), _) => Ok(text.clone().into_bytes()),
        (None, Some(path)) => {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
        (None, None) => {
            let mut buffer = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buffer)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            Ok(buffer)
        }
    }
}

fn call(args: CallArgs) -> Result<(), String> {
    let manifest = manifest(&args.plugin)?;
    if args.manifest {
        let json = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
        println!("{json}");
        return Ok(());
    }
    if let Some(level) = &args.log_level {
        extism::install_log_sink(LogSink::Stderr, Some(level)).map_err(|e| e.to_string())?;
    }
    let input = read_input(&args)?;
    let started = Instant::now();
    let plugin = builder(&args.plugin, manifest)
        .build()
        .map_err(|e| e.to_string())?;
    if args.http_response_headers {
        plugin.allow_http_response_headers();
    }
    let created = started.elapsed();
    let outcome = plugin.call_with_context(&args.function, &input, 0);
    let called = started.elapsed() - created;
    let output = plugin.output();
    if args.json {
        let report = serde_json::json!({
            "rc": outcome.rc,
            "output": String::from_utf8_lossy(&output),
            "error": outcome.error,
            "timings_ms": {
                "create": created.as_secs_f64() * 1000.0,
                "call": called.as_secs_f64() * 1000.0,
            },
        });
        println!("{report}");
    } else {
        std::io::stdout()
            .write_all(&output)
            .and_then(|()| std::io::stdout().flush())
            .map_err(|e| format!("cannot write output: {e}"))?;
    }
    match (outcome.error, outcome.rc) {
        (Some(error), rc) if !args.json => Err(format!("error (rc {rc}): {error}")),
        (_, 0) => Ok(()),
        (None, rc) if !args.json => Err(format!("error: the call returned {rc}")),
        (_, rc) => Err(format!("the call returned {rc}")),
    }
}

fn info(args: InfoArgs) -> Result<(), String> {
    let manifest = manifest(&args.plugin)?;
    let compiled = builder(&args.plugin, manifest)
        .compile()
        .map_err(|e| e.to_string())?;
    println!("exports:");
    for export in compiled.exports() {
        println!(
            "  {}({}) -> ({})",
            export.name,
            export.params.join(", "),
            export.results.join(", ")
        );
    }
    println!("imports:");
    for import in compiled.imports() {
        println!(
            "  {}::{}({}) -> ({})",
            import.module.as_deref().unwrap_or(""),
            import.name,
            import.params.join(", "),
            import.results.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    /// The version Cargo.lock records for the package `name`.
    fn locked_version(name: &str) -> String {
        let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
            .expect("Cargo.lock is readable");
        let entry = format!("name = \"{name}\"\nversion = \"");
        let start = lock.find(&entry).expect("the package is in Cargo.lock") + entry.len();
        let end = start + lock[start..].find('"').expect("the version is quoted");
        lock[start..end].to_string()
    }

    #[test]
    fn version_names_the_library_and_the_engine() {
        let error = match Cli::try_parse_from(["extism", "--version"]) {
            Ok(_) => panic!("--version parsed as a command"),
            Err(error) => error,
        };
        assert_eq!(error.kind(), ErrorKind::DisplayVersion);
        let expected = format!(
            "extism {} (libextism drop-in replacement; engine: wasmtime {})\n",
            locked_version("extism"),
            locked_version("wasmtime")
        );
        assert_eq!(error.render().to_string(), expected);
    }
}
