#!/usr/bin/env bash
# Builds the release for this machine's target (x86_64-unknown-linux-gnu here) into target/dist/:
#
#   libextism-<triple>-v<version>.tar.gz         the reference's layout, flat: extism.h,
#                                               libextism.so, libextism.a, extism.pc.in,
#                                               extism-static.pc.in (prefix=@CMAKE_INSTALL_PREFIX@,
#                                               which an installer replaces with its prefix)
#   libextism-<triple>-v<version>.checksum.txt   the tarball's SHA-256, as `sha256sum -c` reads it
#   extism_sys-<version>+dropin-py3-none-manylinux_2_17_<arch>.manylinux2014_<arch>.whl
#                                               python/ with the same libextism.so inside
#
# The library and the `extism` program (target/<triple>/release/extism) are built by
# scripts/portable-cargo.sh: zig links them against glibc 2.17, and the script fails if either
# needs a newer GLIBC symbol version or a symbol glibc 2.17 lacks
# (scripts/check-glibc-floor.sh). `auditwheel show` must find the wheel consistent with
# manylinux_2_17 as it is, without repair. A current build in target/<triple>/release is reused
# (CI builds it once, for this script, CMake and the wheel). The tools (zig, cargo-zigbuild,
# auditwheel) are installed at pinned versions into target/release-tools on first use, by
# scripts/release-tools.sh. Archive and wheel entries carry the time of the last commit
# (SOURCE_DATE_EPOCH, when set, wins), so that a rebuild of one commit gives the same bytes.
#
#   usage: scripts/release.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
out=$(scripts/portable-cargo.sh --output-dir release)
triple=$(basename "$(dirname "$out")")
arch=${triple%%-*}
platform_tag=manylinux_2_17_${arch}.manylinux2014_${arch}
dist=${CARGO_TARGET_DIR:-$root/target}/dist
name=libextism-$triple-v$version
tools=$(scripts/release-tools.sh)
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH

work=$(mktemp -d "${TMPDIR:-/tmp}/extism-release.XXXXXX")
trap 'rm -rf "$work"' EXIT

started=$SECONDS
echo "== build ($triple, glibc $(scripts/portable-cargo.sh --glibc-floor))"
scripts/portable-cargo.sh build --release --locked

echo "== glibc floor"
scripts/check-glibc-floor.sh "$out/libextism.so" "$out/extism"

echo "== $name.tar.gz"
mkdir -p "$dist" "$work/stage"
install -m 0644 include/extism.h "$out/libextism.a" "$work/stage/"
install -m 0755 "$out/libextism.so" "$work/stage/"
# The pkg-config files of cmake/, in the reference's form: the prefix left for the installer,
# the libraries in ${prefix}/lib and the header in ${prefix}/include.
for pc in extism extism-static; do
  sed -e 's/@EXTISM_PC_PREFIX@/@CMAKE_INSTALL_PREFIX@/' -e 's/@EXTISM_PC_LIBDIR@/lib/' \
    -e 's/@EXTISM_PC_INCLUDEDIR@/include/' -e "s/@EXTISM_PC_VERSION@/$version/" \
    "cmake/$pc.pc.in" >"$work/stage/$pc.pc.in"
  chmod 0644 "$work/stage/$pc.pc.in"
done
members=(extism.h libextism.so libextism.a extism.pc.in extism-static.pc.in)
tar --create --format=gnu --sort=name --owner=0 --group=0 --numeric-owner \
  --mtime="@$SOURCE_DATE_EPOCH" --directory="$work/stage" "${members[@]}" |
  gzip -9 --no-name >"$dist/$name.tar.gz"
(cd "$dist" && sha256sum "$name.tar.gz" >"$name.checksum.txt")
cat "$dist/$name.checksum.txt"

echo "== wheel ($platform_tag)"
rm -f "$dist"/extism_sys-*.whl
# setuptools-rust runs $CARGO: the same build as above, found current.
CARGO=$root/scripts/portable-cargo.sh SETUPTOOLS_RUST_CARGO_PROFILE=release \
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$tools/python3" -m pip wheel --no-deps --wheel-dir "$work/wheel" \
  "--config-settings=--build-option=--plat-name=$platform_tag" ./python
wheels=("$work"/wheel/extism_sys-*.whl)
if [[ ${#wheels[@]} -ne 1 || ${wheels[0]} != *"-py3-none-$platform_tag.whl" ]]; then
  echo "release.sh: expected one extism_sys wheel tagged py3-none-$platform_tag: ${wheels[*]}" >&2
  exit 1
fi
"$tools/auditwheel" show "${wheels[0]}" | tee "$work/auditwheel.txt"
# auditwheel names the oldest manylinux_2_N the wheel is consistent with as it is; the wheel
# claims 2_17, so N must be 17 or less.
accepted=$(tr -s ' \n' ' ' <"$work/auditwheel.txt" |
  sed -n "s/.*is consistent with the following platform tag: \"manylinux_2_\([0-9]*\)_$arch\".*/\1/p")
if [[ -z $accepted ]] || ((accepted > 17)); then
  echo "release.sh: auditwheel does not accept the wheel for manylinux_2_17_$arch" >&2
  exit 1
fi
mv "${wheels[0]}" "$dist/"

echo "== target/dist ($((SECONDS - started)) s)"
(cd "$dist" && sha256sum "$name.tar.gz" "$(basename "${wheels[0]}")" && ls -l "$name".* extism_sys-*.whl)
