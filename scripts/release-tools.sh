#!/usr/bin/env bash
# Installs the tools of the portable build and of the release, at pinned versions, into a
# virtual environment of their own, and prints that environment's bin directory:
#   zig            the C compiler and linker, with the glibc 2.17 stubs (PyPI ziglang)
#   cargo-zigbuild cargo with zig as the C toolchain, for <triple>.2.17 targets (PyPI)
#   auditwheel     checks the wheel's platform tag against the manylinux policy (PyPI)
# The environment is target/release-tools (under CARGO_TARGET_DIR when set); a second run
# with the same pins installs nothing. Needs python3 with venv and pip (python3-venv is
# installed with apt-get when missing) and access to PyPI on the first run.
#
#   usage: PATH="$(scripts/release-tools.sh):$PATH"
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${CARGO_TARGET_DIR:-$root/target}/release-tools
pins=(ziglang==0.17.1 cargo-zigbuild==0.24.1 auditwheel==6.8.2)

if [[ -x $venv/bin/python3 && "$(cat "$venv/pins.txt" 2>/dev/null)" == "${pins[*]}" ]]; then
  echo "$venv/bin"
  exit 0
fi

if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
# cargo-zigbuild finds zig as `python3 -m ziglang` when python3 is the environment's own.
"$venv/bin/python3" -m pip install -q --disable-pip-version-check "${pins[@]}" >&2
echo "${pins[*]}" >"$venv/pins.txt"
echo "$venv/bin"
