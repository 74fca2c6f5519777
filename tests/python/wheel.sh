#!/usr/bin/env bash
# Installs the python/ package (PyPI name extism-sys: the module extism_sys with this library as
# extism_sys/libextism_sys.so) beside the official Python SDK in a new virtual environment, the
# way a user would, and checks it end to end:
#   1. `pip install extism==1.1.1 ./python` into a fresh build/python-wheel; the wheel build
#      runs cargo, which reuses a current build in target/ (or CARGO_TARGET_DIR)
#   2. the SDK loads this library: the file mapped into the process is the installed
#      extism_sys/libextism_sys.so, byte for byte the one cargo built; extism_version() is
#      Cargo.toml's version; a function only this library exports resolves; the cffi
#      declarations name every function of include/extism.h; pip's metadata says +dropin
#   3. the pytest suite in this folder, on the installed wheel
#   4. `pip install --upgrade --force-reinstall ./python`, then 2 and 3 again
#   5. uninstalling what step 1 installed leaves the environment as it was before step 1, and
#      the build wrote nothing into python/
#   6. in that environment, the reference (`pip install extism==1.1.1 extism-sys==1.41.0`), then
#      `pip install extism==1.1.1 ./python` replaces it: the checks of 2 again
# Prints a PASS line per step, then a summary; exits non-zero at the first failure.
#
#   usage: tests/python/wheel.sh [pytest arguments...]
#   EXTISM_PROFILE=release (default) or debug: the cargo profile the wheel is built with
#   EXTISM_WHEEL=FILE: install that wheel (scripts/release.sh's, in target/dist) wherever the
#     steps above install ./python; its library must be byte for byte the release build's
#     (scripts/portable-cargo.sh --output-dir release)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=$root/build/python-wheel
py=$venv/bin/python
sdk_version=${EXTISM_SDK_VERSION:-1.1.1}
reference_version=${EXTISM_SYS_VERSION:-1.41.0}
pytest_version=${PYTEST_VERSION:-8.3.4}
case ${EXTISM_PROFILE:-release} in
  release) cargo_profile=release ;;
  debug) cargo_profile=dev ;;
  *)
    echo "wheel.sh: EXTISM_PROFILE must be release or debug" >&2
    exit 2
    ;;
esac
profile_dir=${EXTISM_PROFILE:-release}
built_library=${CARGO_TARGET_DIR:-$root/target}/$profile_dir/libextism.so
package=$root/python
if [[ -n ${EXTISM_WHEEL:-} ]]; then
  package=$(cd "$(dirname "$EXTISM_WHEEL")" && pwd)/$(basename "$EXTISM_WHEEL")
  [[ -f $package ]] || { echo "wheel.sh: $EXTISM_WHEEL not found" >&2; exit 2; }
  built_library=$("$root/scripts/portable-cargo.sh" --output-dir release)/libextism.so
fi
cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
export SETUPTOOLS_RUST_CARGO_PROFILE=$cargo_profile
# Nothing but pip writes bytecode, so the environment holds only what pip records.
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

summary=()
step_started=$SECONDS
pass() {
  summary+=("PASS  $1 ($((SECONDS - step_started)) s)")
  echo "--- PASS $1 ($((SECONDS - step_started)) s)"
  step_started=$SECONDS
}
fail() {
  echo "wheel.sh: FAIL: $*" >&2
  exit 1
}

if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi

# Every file of the environment except pip's own (pip compiles its modules as it runs).
snapshot() {
  (cd "$venv" && find . -path './lib/python3*/site-packages/pip' -prune -o -print | LC_ALL=C sort)
}
installed() {
  "$py" -m pip list --format=freeze | LC_ALL=C sort
}

# The checks of step 2, run by the environment's Python.
check_identity() {
  "$py" - "$cargo_version" "$built_library" "$root/include/extism.h" <<'PY'
import glob
import hashlib
import importlib.metadata
import os
import re
import sys
import sysconfig

import extism
import extism_sys

cargo_version, built_library, header = sys.argv[1:]
problems = []

package_dir = os.path.join(sysconfig.get_paths()["platlib"], "extism_sys")
if os.path.dirname(extism_sys.__file__) != package_dir:
    problems.append(f"extism_sys imported from {extism_sys.__file__}, not from {package_dir}")
library = os.path.join(package_dir, "libextism_sys.so")

# The libextism files mapped into this process: only the installed one.
with open("/proc/self/maps") as maps:
    mapped = {
        fields[5]
        for fields in (line.split(None, 5) for line in maps)
        if len(fields) == 6 and "libextism" in os.path.basename(fields[5].strip())
    }
mapped = {path.strip() for path in mapped}
if mapped != {os.path.realpath(library)}:
    problems.append(f"mapped libextism files {sorted(mapped)}, expected only {library}")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


if not os.path.isfile(built_library):
    problems.append(f"{built_library} not found")
elif sha256(library) != sha256(built_library):
    problems.append(f"{library} differs from {built_library}")

version = extism.extism_version()
if version != cargo_version:
    problems.append(f"extism_version() is {version!r}, Cargo.toml says {cargo_version!r}")

# cffi raises ffi.error for a declared function the library does not export.
missing_symbol = (AttributeError, extism_sys.ffi.error)
# Additive (ABI.md section 10): the reference library has no such symbol.
try:
    extism_sys.lib.extism_current_plugin_set_error
except missing_symbol:
    problems.append("extism_current_plugin_set_error does not resolve")

with open(header, encoding="utf-8") as f:
    in_header = set(re.findall(r"\b(extism_\w+)\s*\(", f.read()))
declared = {name for name in dir(extism_sys.lib) if name.startswith("extism_")}
if declared != in_header:
    problems.append(
        f"ffi declares {sorted(declared - in_header)} beyond the header "
        f"and lacks {sorted(in_header - declared)}"
    )
for name in sorted(declared):
    try:
        getattr(extism_sys.lib, name)
    except missing_symbol:
        problems.append(f"{name} is declared but the library does not export it")

dist_infos = glob.glob(os.path.join(sysconfig.get_paths()["platlib"], "extism_sys-*.dist-info"))
if len(dist_infos) != 1:
    problems.append(f"{len(dist_infos)} extism-sys installations: {sorted(dist_infos)}")
metadata = importlib.metadata.metadata("extism-sys")
if metadata["Version"] != f"{cargo_version}+dropin":
    problems.append(f"extism-sys version {metadata['Version']}, expected {cargo_version}+dropin")
if "drop-in replacement" not in metadata["Summary"]:
    problems.append(f"extism-sys summary does not name this library: {metadata['Summary']!r}")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(
    f"extism_sys {metadata['Version']}: libextism {version} from {library} "
    f"(same bytes as {built_library}); {len(declared)} functions declared and resolved"
)
PY
}

run_suite() {
  local status=0
  (cd "$here" && EXTISM_TEST_LIBRARY=ours "$py" -m pytest -q "$@") || status=$?
  if [[ $status -eq 5 ]]; then
    fail "pytest collected no tests"
  fi
  return $status
}

echo "=== fresh environment $venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$py" -m pip install -q "pytest==$pytest_version"
snapshot >"$venv.before-files"
installed >"$venv.before-packages"
pass "fresh environment with pytest $pytest_version"

echo "=== pip install extism==$sdk_version ${package#"$root"/}"
"$py" -m pip install "extism==$sdk_version" "$package" || fail "pip install"
"$py" -m pip check || fail "pip check"
pass "pip install extism==$sdk_version ${package#"$root"/}"

echo "=== the SDK loads this library"
check_identity || fail "the loaded libextism_sys.so is not this library"
pass "the SDK loads this library"

echo "=== tests/python on the installed wheel"
run_suite "$@" || fail "tests/python"
pass "tests/python on the installed wheel"

echo "=== pip install --upgrade --force-reinstall ${package#"$root"/}"
"$py" -m pip install --upgrade --force-reinstall "$package" ||
  fail "pip install --upgrade --force-reinstall"
"$py" -m pip check || fail "pip check after the reinstall"
check_identity || fail "after the reinstall, the loaded libextism_sys.so is not this library"
run_suite "$@" || fail "tests/python after the reinstall"
pass "pip install --upgrade --force-reinstall ${package#"$root"/}, then the checks and the suite again"

echo "=== uninstall"
added=$(LC_ALL=C comm -13 "$venv.before-packages" <(installed) | sed 's/==.*//; s/ @ .*//')
echo "uninstalling: $(echo $added)"
# shellcheck disable=SC2086 # one package name per word
"$py" -m pip uninstall -y $added
if "$py" -c 'import extism_sys' 2>/dev/null; then
  fail "extism_sys still imports after the uninstall"
fi
if ! diff -u "$venv.before-files" <(snapshot); then
  fail "the environment differs from before the install (above: - missing, + left over)"
fi
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  # New files, ignored or not; edits of tracked files are the developer's own.
  stray=$(git -C "$root" status --porcelain --ignored --untracked-files=all -- python |
    grep -E '^(\?\?|!!)' || true)
  [[ -z $stray ]] || fail "the build wrote into python/: $stray"
fi
pass "uninstall leaves the environment as before; python/ untouched"

echo "=== switch an environment from the reference extism-sys $reference_version with one command"
"$py" -m pip install -q "extism==$sdk_version" "extism-sys==$reference_version"
"$py" - <<'PY' || fail "the reference extism-sys did not install its own library"
import ctypes, os, extism_sys
library = ctypes.CDLL(os.path.join(os.path.dirname(extism_sys.__file__), "libextism_sys.so"))
assert not hasattr(library, "extism_current_plugin_set_error"), "this library, not the reference"
PY
"$py" -m pip install "extism==$sdk_version" "$package" || fail "pip install over the reference"
check_identity || fail "after the switch, the loaded libextism_sys.so is not this library"
pass "pip install extism==$sdk_version ${package#"$root"/} replaces extism-sys $reference_version"

if [[ -n ${EXTISM_WHEEL:-} ]]; then
  echo "=== summary (wheel ${package#"$root"/})"
else
  echo "=== summary (wheel built with cargo profile $cargo_profile)"
fi
printf '%s\n' "${summary[@]}"
