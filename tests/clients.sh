#!/usr/bin/env bash
# Runs the library under its real clients, in order:
#   1. python   the official Python SDK's pytest suite, on the reference library and on ours
#   2. go       the cgo example and its go test
#   3. ruby     the ruby-ffi example and its minitest (host functions from Ruby threads too)
#   4. java     a JNA host: host functions and log callbacks on -Xss1m and -Xss256k threads
#   5. cpp      the C++17 RAII example, built by CMake and run by CTest
#   6. install  cmake --install into a temporary prefix, then pkg-config and find_package builds
# Missing Debian packages are installed with apt-get; virtual environments and build
# directories go under build/. Needs the library built first (`cargo build --lib`, or
# `cargo build --release` with EXTISM_PROFILE=release). Prints one summary line per part and
# exits non-zero if any part fails. Each part's full output is in build/clients-logs/.
#
#   usage: tests/clients.sh [PART...]      (default: all six)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
profile=${EXTISM_PROFILE:-debug}
export EXTISM_PROFILE=$profile
logs=$root/build/clients-logs
mkdir -p "$logs"

if [[ ! -f $root/target/$profile/libextism.so ]]; then
  echo "clients.sh: target/$profile/libextism.so not found; run cargo build --lib${profile/debug/} first" >&2
  exit 2
fi

apt_updated=false
# need_packages PACKAGE... : installs the Debian packages that are not installed yet.
need_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "installing ${missing[*]}"
  if ! $apt_updated; then
    "${sudo[@]}" apt-get update -qq || return 1
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

part_python() {
  python3 -m venv --help >/dev/null 2>&1 || need_packages python3-venv || return 1
  "$root/tests/python/run.sh" reference -q && "$root/tests/python/run.sh" ours -q
}

part_go() {
  command -v go >/dev/null || need_packages golang-go || return 1
  "$root/examples/go/run.sh"
}

part_ruby() {
  ruby -e 'require "ffi"; require "minitest"' >/dev/null 2>&1 || need_packages ruby ruby-ffi || return 1
  ruby -e 'require "minitest"' >/dev/null 2>&1 || need_packages ruby-minitest || return 1
  "$root/examples/ruby/run.sh"
}

part_java() {
  command -v javac >/dev/null && [[ -f /usr/share/java/jna.jar ]] ||
    need_packages default-jdk-headless libjna-java || return 1
  "$root/examples/java/run.sh"
}

part_cpp() {
  command -v cmake >/dev/null && command -v c++ >/dev/null || need_packages cmake g++ || return 1
  local build=$root/build/clients-cmake
  local build_type=Debug
  [[ $profile == release ]] && build_type=Release
  # The C tests are left out: this part is about the example alone.
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=$build_type -DEXTISM_BUILD_TESTS=OFF -DEXTISM_BUILD_EXAMPLES=ON &&
    cmake --build "$build" --target extism-cpp-example &&
    ctest --test-dir "$build" -R '^cpp_example$' --output-on-failure --no-tests=error
}

part_install() {
  command -v pkg-config >/dev/null && command -v readelf >/dev/null && command -v cc >/dev/null ||
    need_packages pkg-config binutils gcc || return 1
  "$root/tests/install/run.sh"
}

parts=("$@")
[[ ${#parts[@]} -eq 0 ]] && parts=(python go ruby java cpp install)

summary=()
passed=0
failed=0
for part in "${parts[@]}"; do
  if ! declare -F "part_$part" >/dev/null; then
    echo "clients.sh: unknown part '$part' (python, go, ruby, java, cpp, install)" >&2
    exit 2
  fi
  echo "=== $part"
  started=$SECONDS
  if "part_$part" 2>&1 | tee "$logs/$part.log"; then
    summary+=("PASS  $part ($((SECONDS - started)) s)")
    passed=$((passed + 1))
  else
    summary+=("FAIL  $part ($((SECONDS - started)) s; log: build/clients-logs/$part.log)")
    failed=$((failed + 1))
  fi
done

echo "=== summary (library: target/$profile/libextism.so)"
printf '%s\n' "${summary[@]}"
echo "clients: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
