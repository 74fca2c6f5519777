#!/usr/bin/env python3
"""Fails when the registry offers a newer patch release of the engine than Cargo.lock holds.

The engine is wasmtime with the crates released in lockstep with it (wasmtime-wasi, wiggle,
wasmtime-environ, the wasmtime-internal-* crates, cranelift-*, pulley-*, winch-*), which pin one
another exactly. Patch releases of the engine carry fixes (some of them security fixes), and
Cargo.toml pins the engine exactly, so nothing else notices when one appears.

How: a throwaway Cargo project in a temporary directory depends on the crates of ENGINE with
the features Cargo.toml gives them, but on any release of the same major version instead of the
exact pin; `cargo generate-lockfile` resolves the newest set cargo can take together (so a
release of wasmtime alone, without a wasmtime-wasi to match, does not count); every engine
crate whose version there is newer than in Cargo.lock is reported, with the commands that
update the project, and the script exits with status 1. When the registry cannot be reached it
prints a warning and exits with status 0.

    .ci/engine_updates.py                  # compare with Cargo.lock
    .ci/engine_updates.py --lock OTHER     # compare with another lock file (a dry run)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

# The crates Cargo.toml pins to the engine's release; every other engine crate comes with them.
ENGINE = ("wasmtime", "wasmtime-wasi", "wiggle")
# Names of the crates released with the engine, as they appear in a lock file.
ENGINE_FAMILY = re.compile(r"^(wasmtime|wiggle|cranelift|pulley|winch)(-|$)")
# Cargo's messages when it cannot reach the registry (as opposed to a resolution that fails).
UNREACHABLE = re.compile(
    r"failed to (download|fetch|get|query|update)|network|could not resolve|"
    r"couldn't resolve|connection|timed out|timeout|ssl|tls|dns|unreachable|offline",
    re.IGNORECASE,
)

ROOT = Path(__file__).resolve().parent.parent


def version_tuple(version):
    """`48.0.11` as (48, 0, 11); pre-release labels sort before the release."""
    core, _, pre = version.partition("-")
    return tuple(int(part) for part in core.split(".")) + ((0, pre) if pre else (1, ""),)


def lock_versions(text):
    """{name: newest version} of the engine crates of a Cargo.lock."""
    versions = {}
    for package in tomllib.loads(text).get("package", []):
        name, version = package["name"], package["version"]
        if ENGINE_FAMILY.match(name):
            if name not in versions or version_tuple(version) > version_tuple(versions[name]):
                versions[name] = version
    return versions


def throwaway_manifest(cargo_toml):
    """A Cargo.toml depending on the ENGINE crates, with our features, at any release of the
    major version we pin."""
    manifest = tomllib.loads(cargo_toml)
    package = manifest["package"]
    lines = [
        "[package]",
        'name = "engine-updates"',
        'version = "0.0.0"',
        f'edition = "{package.get("edition", "2021")}"',
    ]
    if "rust-version" in package:
        lines.append(f'rust-version = "{package["rust-version"]}"')
    lines += ["", "[lib]", 'path = "lib.rs"', "", "[dependencies]"]
    for name in ENGINE:
        spec = manifest["dependencies"][name]
        pinned = spec["version"] if isinstance(spec, dict) else spec
        major = pinned.lstrip("=^~ ").split(".")[0]
        features = spec.get("features", []) if isinstance(spec, dict) else []
        default = spec.get("default-features", True) if isinstance(spec, dict) else True
        feature_list = ", ".join(f'"{feature}"' for feature in features)
        lines.append(
            f'{name} = {{ version = "{major}", default-features = {str(default).lower()}, '
            f"features = [{feature_list}] }}"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "Cargo.lock",
                        help="the lock file to compare with (default: the project's)")
    args = parser.parse_args()

    ours = lock_versions(args.lock.read_text())
    with tempfile.TemporaryDirectory(prefix="engine-updates-") as tmp:
        tmp = Path(tmp)
        (tmp / "Cargo.toml").write_text(throwaway_manifest((ROOT / "Cargo.toml").read_text()))
        (tmp / "lib.rs").write_text("")
        env = {"CARGO_NET_RETRY": "2", "CARGO_HTTP_TIMEOUT": "60"}
        try:
            result = subprocess.run(
                ["cargo", "generate-lockfile", "--manifest-path", str(tmp / "Cargo.toml")],
                capture_output=True, text=True, timeout=900,
                env={**os.environ, **env},
            )
        except subprocess.TimeoutExpired:
            print("engine updates: WARNING: the registry did not answer within 15 minutes; "
                  "not checked")
            return 0
        if result.returncode != 0:
            message = result.stderr.strip()
            if UNREACHABLE.search(message):
                print(f"engine updates: WARNING: the registry cannot be reached; not checked\n"
                      f"{message}")
                return 0
            print(f"engine updates: the engine crates cannot be resolved:\n{message}")
            return 1
        fresh = lock_versions((tmp / "Cargo.lock").read_text())

    newer = sorted(
        (name, ours[name], version)
        for name, version in fresh.items()
        if name in ours and version_tuple(version) > version_tuple(ours[name])
    )
    # Crates that a fresh resolution takes newer while the engine itself stays (their users
    # require them with `^`, not `=`): version bumps of crates without changes of their own so
    # far, listed but not failed on, since the engine release they belong to is not available.
    engine_moves = [entry for entry in newer if entry[0] in ENGINE]
    for name, old, new in newer:
        if not engine_moves:
            print(f"engine updates: note: {name} {old} -> {new} alone (the engine stays)")
    if not engine_moves:
        top = ", ".join(f"{name} {ours.get(name, '?')}" for name in ENGINE)
        print(f"engine updates: none; the lock holds the newest engine release the registry "
              f"offers ({top})")
        return 0
    print("engine updates: the registry offers a newer engine release than the lock holds:")
    for name, old, new in newer:
        print(f"  {name:45} {old} -> {new}")
    pins = ", ".join(f'{name} = "={fresh[name]}"' for name in ENGINE)
    print(
        "To update: in Cargo.toml set " + pins + ", then run\n"
        f"  cargo update {' '.join(f'-p {name}' for name in ENGINE)} -p wasmtime-environ\n"
        "and review the release's changes against SECURITY.md (\"The engine\")."
    )
    return 1

if __name__ == "__main__":
    sys.exit(main())
