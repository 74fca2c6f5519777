#!/usr/bin/env bash
# Tests the release in target/dist/ (made by scripts/release.sh) the way a user meets it:
#   1. `sha256sum -c` verifies the tarball against its checksum file
#   2. the tarball holds exactly the reference's five files; its libextism.so is the build's
#      (target/<triple>/release), has the soname libextism.so and loads on glibc 2.17
#      (scripts/check-glibc-floor.sh)
#      the extism program of the same build loads on glibc 2.17 and names this version
#   3. the tarball installed into a temporary prefix as the reference's installer
#      (`extism lib install --prefix P`) does it: libraries into P/lib, the header into
#      P/include, each .pc.in with its prefix filled in as P/lib/pkgconfig/*.pc
#   4. tests/install/app.c built with `pkg-config --cflags --libs extism` (shared) and
#      `pkg-config --static --cflags --libs extism-static` (static); both run count_vowels.wasm
#      and print this version and the plugin's output; the shared one needs libextism.so, the
#      static one no libextism at all; scripts/check-glibc-floor.sh fails on a library with an
#      unresolved strong symbol and on the shared program (where this machine's glibc is 2.34
#      or later, it needs GLIBC_2.34), so that its pass above means something
#   5. the wheel installed beside the official SDK and tests/python run on it
#      (tests/python/wheel.sh with EXTISM_WHEEL)
# Prints ok/FAIL per check and exits non-zero if any failed.
#
#   usage: tests/release/run.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
glibc_floor=$(scripts/portable-cargo.sh --glibc-floor)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
built=$(scripts/portable-cargo.sh --output-dir release)
triple=$(basename "$(dirname "$built")")
dist=${CARGO_TARGET_DIR:-$root/target}/dist
name=libextism-$triple-v$version
plugin=$root/c-tests/plugins/count_vowels.wasm
expected_output="$version {\"count\":3,\"total\":3,\"vowels\":\"aeiouAEIOU\"}"
cc=${CC:-cc}

for tool in pkg-config readelf sha256sum "$cc"; do
  command -v "$tool" >/dev/null || { echo "tests/release/run.sh: $tool not found" >&2; exit 2; }
done
if [[ ! -f $dist/$name.tar.gz ]]; then
  echo "tests/release/run.sh: $dist/$name.tar.gz not found; run scripts/release.sh first" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/extism-release-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

# shellcheck source=tests/install/checks.sh
source "$root/tests/install/checks.sh"
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }

echo "== checksum"
check "sha256sum -c $name.checksum.txt" bash -c "cd '$dist' && sha256sum -c '$name.checksum.txt'"

echo "== tarball"
same "members" "$(tar -tzf "$dist/$name.tar.gz" | LC_ALL=C sort | tr '\n' ' ')" \
  "extism-static.pc.in extism.h extism.pc.in libextism.a libextism.so "
mkdir "$work/unpacked"
tar -xzf "$dist/$name.tar.gz" -C "$work/unpacked"
library=$work/unpacked/libextism.so
check "libextism.so is target/$triple/release/libextism.so" cmp "$library" "$built/libextism.so"
check "extism.h is include/extism.h" cmp "$work/unpacked/extism.h" include/extism.h
same "soname" "$(soname "$library")" "libextism.so"
check "loads on glibc $glibc_floor (scripts/check-glibc-floor.sh)" scripts/check-glibc-floor.sh "$library"

echo "== the extism program"
check "target/$triple/release/extism loads on glibc $glibc_floor" scripts/check-glibc-floor.sh "$built/extism"
same "extism --version" "$("$built/extism" --version 2>&1 | cut -d' ' -f1-2)" "extism $version"

echo "== installed into a prefix as the reference's installer does"
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
for member in "$work"/unpacked/*; do
  file=$(basename "$member")
  case $file in
    *.so | *.a) cp "$member" "$prefix/lib/" ;;
    *.h) cp "$member" "$prefix/include/" ;;
    *.pc.in) sed "s|@CMAKE_INSTALL_PREFIX@|$prefix|g" "$member" >"$prefix/lib/pkgconfig/${file%.in}" ;;
    *) fail "unexpected member $file" ;;
  esac
done
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
same "extism version" "$(pc --modversion extism)" "$version"
same "extism-static version" "$(pc --modversion extism-static)" "$version"
same "prefix" "$(pc --variable=prefix extism)" "$prefix"
same "cflags" "$(pc --cflags extism)" "-I$prefix/include"
same "libs" "$(pc --libs extism)" "-L$prefix/lib -lextism"

echo "== programs built with pkg-config"
# shellcheck disable=SC2046 # pkg-config prints a list of flags
check "build (shared)" "$cc" tests/install/app.c $(pkg-config --cflags --libs extism) -o "$work/app-shared"
# shellcheck disable=SC2046
check "build (static)" "$cc" tests/install/app.c $(pkg-config --static --cflags --libs extism-static) \
  -o "$work/app-static"
if [[ -x $work/app-shared ]]; then
  same "shared program output" "$(LD_LIBRARY_PATH=$prefix/lib "$work/app-shared" "$plugin" 2>&1 || true)" \
    "$expected_output"
  same "shared program needs libextism.so" "$(needed_libs "$work/app-shared" | grep extism || true)" \
    "libextism.so"
  same "the loader picks the installed libextism.so" \
    "$(LD_LIBRARY_PATH=$prefix/lib ldd "$work/app-shared" | sed -n 's/.*libextism.so => \([^ ]*\).*/\1/p')" \
    "$prefix/lib/libextism.so"
fi
if [[ -x $work/app-static ]]; then
  same "static program output" "$("$work/app-static" "$plugin" 2>&1 || true)" "$expected_output"
  same "static program needs no libextism" "$(needed_libs "$work/app-static" | grep extism || true)" ""
fi

echo "== the floor check rejects what would not load on glibc $glibc_floor"
# A library with a strong reference that no glibc library resolves (as gettid was on 2.17).
printf 'extern int extism_release_test_missing(void);\nint f(void) { return extism_release_test_missing(); }\n' \
  >"$work/missing.c"
"$cc" -shared -fPIC "$work/missing.c" -o "$work/missing.so"
if scripts/check-glibc-floor.sh "$work/missing.so" >"$work/floor.log" 2>&1; then
  fail "an unresolved strong symbol passes the floor check"
else
  same "an unresolved strong symbol fails the floor check" \
    "$(grep -o 'extism_release_test_missing' "$work/floor.log" | head -n 1)" extism_release_test_missing
fi
# A program built here needs __libc_start_main@GLIBC_2.34 where glibc is 2.34 or later.
host_glibc=$(getconf GNU_LIBC_VERSION | awk '{ print $2 }')
if [[ -x $work/app-shared && $(printf '%s\n' 2.34 "$host_glibc" | sort -V | head -n 1) == 2.34 ]]; then
  if scripts/check-glibc-floor.sh "$work/app-shared" >"$work/floor.log" 2>&1; then
    fail "a program linked against glibc $host_glibc passes the floor check"
  else
    same "a program linked against glibc $host_glibc fails the floor check" \
      "$(grep -o 'GLIBC_2\.34' "$work/floor.log" | head -n 1)" GLIBC_2.34
  fi
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures release check(s) failed"
  exit 1
fi
echo "all tarball checks passed"

echo "== wheel"
wheels=("$dist"/extism_sys-*.whl)
if [[ ${#wheels[@]} -ne 1 || ! -f ${wheels[0]} ]]; then
  echo "tests/release/run.sh: expected one wheel in $dist, found: ${wheels[*]}" >&2
  exit 1
fi
EXTISM_WHEEL=${wheels[0]} bash tests/python/wheel.sh
