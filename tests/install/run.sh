#!/usr/bin/env bash
# Installs libextism with `cmake --install` into a temporary prefix, checks the installed
# files, then builds app.c against that prefix with pkg-config (shared and static) and with
# find_package (consumer/), and runs each program on count_vowels.wasm.
#
#   usage: tests/install/run.sh          (EXTISM_PROFILE=debug, the default, or release)
#
# The CMake build directory is build/install-test; everything else lives in a temporary
# directory that is removed afterwards. Exits non-zero if any check fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
case ${EXTISM_PROFILE:-debug} in
  debug) build_type=Debug ;;
  release) build_type=Release ;;
  *) echo "EXTISM_PROFILE must be debug or release" >&2; exit 2 ;;
esac
version=$(sed -n 's/^project(extism VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
soname=libextism.so.${version%%.*}
plugin=$root/c-tests/plugins/count_vowels.wasm
expected_output="$version {\"count\":3,\"total\":3,\"vowels\":\"aeiouAEIOU\"}"
cc=${CC:-cc}

build=$root/build/install-test
work=$(mktemp -d "${TMPDIR:-/tmp}/extism-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

# shellcheck source=tests/install/checks.sh
source "$root/tests/install/checks.sh"

# Configured with the default prefix and installed with --prefix, so the files must not
# depend on the configure-time prefix.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=$build_type -DEXTISM_BUILD_TESTS=OFF -DEXTISM_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target extism-cargo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
cmake --install "$build" --prefix "$prefix" >/dev/null

pc=$(find "$prefix" -name extism.pc -print -quit)
[[ -n $pc ]] || { echo "FAIL  extism.pc was not installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")

echo "== installed files (libdir ${libdir#"$prefix"/})"
check "include/extism.h" test -f "$prefix/include/extism.h"
check "libextism.so.$version is a file" test -f "$libdir/libextism.so.$version" -a ! -L "$libdir/libextism.so.$version"
same "$soname links to libextism.so.$version" "$(readlink "$libdir/$soname" || true)" "libextism.so.$version"
same "libextism.so links to $soname" "$(readlink "$libdir/libextism.so" || true)" "$soname"
check "libextism.a" test -f "$libdir/libextism.a"
check "extism-static.pc" test -f "$libdir/pkgconfig/extism-static.pc"
check "extismConfig.cmake" test -f "$libdir/cmake/extism/extismConfig.cmake"
check "extismConfigVersion.cmake" test -f "$libdir/cmake/extism/extismConfigVersion.cmake"
installed_soname=$(readelf -d "$libdir/libextism.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
same "SONAME of libextism.so.$version" "$installed_soname" "$soname"
if [[ -z $installed_soname ]]; then
  echo "      the library was linked without a SONAME; build.rs must print"
  echo "      cargo:rustc-cdylib-link-arg=-Wl,-soname,$soname"
fi

echo "== pkg-config"
export PKG_CONFIG_PATH=$libdir/pkgconfig
same "extism version" "$(pc --modversion extism)" "$version"
same "extism-static version" "$(pc --modversion extism-static)" "$version"
same "prefix is the install prefix" "$(pc --variable=prefix extism)" "$prefix"
same "cflags" "$(pc --cflags extism)" "-I$prefix/include"
same "libs" "$(pc --libs extism)" "-L$libdir -lextism"
same "static libs" "$(pc --static --libs extism-static)" "$libdir/libextism.a -lm -lpthread"

# shellcheck disable=SC2046 # pkg-config output is a list of flags
check "build with pkg-config (shared)" \
  "$cc" "$here/app.c" $(pkg-config --cflags --libs extism) -Wl,-rpath,"$libdir" -o "$work/pc-shared"
# shellcheck disable=SC2046
check "build with pkg-config (static)" \
  "$cc" "$here/app.c" $(pkg-config --cflags extism-static) $(pkg-config --static --libs extism-static) -o "$work/pc-static"

echo "== find_package"
check "configure the consumer project" \
  cmake -S "$here/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
check "build the consumer project" cmake --build "$work/consumer" -j2

echo "== programs"
for program in pc-shared pc-static consumer/app-shared consumer/app-static; do
  exe=$work/$program
  if [[ ! -x $exe ]]; then
    fail "$program was not built"
    continue
  fi
  same "$program output" "$("$exe" "$plugin" 2>&1 || true)" "$expected_output"
  case $program in
    *shared) same "$program needs $soname" "$(needed_libs "$exe" | grep extism || true)" "$soname" ;;
    *static) same "$program does not need libextism.so" "$(needed_libs "$exe" | grep extism || true)" "" ;;
  esac
done

if [[ $failures -ne 0 ]]; then
  echo "$failures install check(s) failed"
  exit 1
fi
echo "all install checks passed"
