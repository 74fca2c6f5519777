#!/usr/bin/env bash
# cargo for the portable build: the library and the `extism` program built with zig as the C
# compiler and linker (cargo-zigbuild) for <host triple>.2.17, so that they need no glibc symbol
# newer than 2.17 and load where manylinux2014 wheels load (RHEL/Rocky 8, Debian 11, Ubuntu
# 20.04, Amazon Linux 2, ...). Build paths are remapped (the checkout to /extism, the cargo home
# to /cargo), so that two builds of one commit give the same bytes wherever they run. The
# library's soname is libextism.so, the name of the one file the release tarball ships.
#
# scripts/release.sh, CMake with -DEXTISM_PORTABLE=ON and the wheel build (setuptools-rust runs
# $CARGO, set to this script by release.sh) all build through here: one set of flags, so they
# share one build in target/<host triple>/<profile>/ instead of compiling wasmtime again.
#
#   usage: scripts/portable-cargo.sh build [cargo build options]    cargo zigbuild --target ...
#          scripts/portable-cargo.sh rustc [cargo rustc options]    cargo-zigbuild rustc --target ...
#          scripts/portable-cargo.sh SUBCOMMAND [...]               other subcommands: plain cargo
#          scripts/portable-cargo.sh --output-dir release|debug     prints where the build goes
#          scripts/portable-cargo.sh --glibc-floor                   prints the glibc floor
# The tools come from scripts/release-tools.sh (installed on first use). Only Linux gnu hosts.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
glibc_floor=2.17
# setuptools-rust runs this script as $CARGO; cargo-zigbuild itself runs $CARGO.
unset CARGO

host=$(rustc -vV | sed -n 's/^host: //p')
if [[ $host != *-unknown-linux-gnu ]]; then
  echo "portable-cargo.sh: the portable build is for Linux gnu hosts; this one is $host" >&2
  exit 2
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}

case ${1:-} in
  --output-dir)
    echo "$target_dir/$host/${2:-release}"
    exit 0
    ;;
  --glibc-floor)
    echo "$glibc_floor"
    exit 0
    ;;
esac

case ${1:-} in
  build) command=(cargo-zigbuild zigbuild) ;;
  rustc) command=(cargo-zigbuild rustc) ;;
  *) exec cargo "$@" ;;
esac
shift

PATH="$("$root/scripts/release-tools.sh"):$PATH"
export PATH
# cargo-zigbuild runs zig as `python3 -m ziglang` with the tools' python3. Under pip's build
# isolation (the wheel build), PYTHONPATH names a sitecustomize that hides every other
# environment's packages, ziglang among them; nothing cargo runs needs pip's paths.
unset PYTHONPATH PYTHONNOUSERSITE

# The caller's flags first, then the remappings (later ones win where prefixes overlap, so a
# target directory inside the checkout maps under /extism). The encoded form keeps paths with
# spaces whole.
flags=()
if [[ -n ${CARGO_ENCODED_RUSTFLAGS:-} ]]; then
  IFS=$'\x1f' read -ra flags <<<"$CARGO_ENCODED_RUSTFLAGS"
elif [[ -n ${RUSTFLAGS:-} ]]; then
  read -ra flags <<<"$RUSTFLAGS"
fi
cargo_home=${CARGO_HOME:-$HOME/.cargo}
flags+=("--remap-path-prefix=$cargo_home=/cargo" "--remap-path-prefix=$target_dir=/extism/target"
  "--remap-path-prefix=$root=/extism")
CARGO_ENCODED_RUSTFLAGS=$(IFS=$'\x1f' && echo "${flags[*]}")
export CARGO_ENCODED_RUSTFLAGS
unset RUSTFLAGS
# The same for the C and assembly sources that crates compile with zig cc (cc-rs reads these).
c_flags="-ffile-prefix-map=$cargo_home=/cargo -ffile-prefix-map=$root=/extism"
export "CFLAGS_${host//-/_}=$c_flags"
# zig links (scripts/zig-link.sh) and the symbol table stays: see there why rustc must not strip.
host_variable=${host//-/_}
export "CARGO_TARGET_${host_variable^^}_LINKER=$root/scripts/zig-link.sh"
export EXTISM_ZIG_CC_VARIABLE=CC_$host_variable CARGO_PROFILE_RELEASE_STRIP=none
# The release ships one file, libextism.so, as the reference does; programs linked against it
# must find it under that name (build.rs).
export EXTISM_SONAME=libextism.so
# C compilers read SOURCE_DATE_EPOCH (for __DATE__ and __TIME__), so cc-rs makes cargo rebuild
# when it changes: one fixed value (1980-01-01) keeps builds from different callers, and from
# different commits, sharing one build, and the output independent of the time.
export SOURCE_DATE_EPOCH=315532800

exec "${command[@]}" --target "$host.$glibc_floor" "$@"
