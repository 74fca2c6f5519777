#!/usr/bin/env bash
# Differential test: runs the cases of tests/differential/diff.c against this library
# (target/debug/libextism.so) and against the reference libextism, and compares the lines.
# Cases listed in expected_differences.txt must differ exactly as listed; every other case must
# print the same line for both. Prints each unexpected result, then "N passed, M failed", and
# exits non-zero on any unexpected result.
#
#   usage: bash tests/differential/run.sh [CASE...]      (default: every case)
#
# Needs a C compiler, python3 (with venv) and network access for the first installation of
# the reference (PyPI package extism-sys, through tests/reference-lib.sh). Everything
# it makes goes under build/differential/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
here=tests/differential
out=build/differential
mkdir -p "$out/ref"

# This library, debug build.
if [[ ! -f target/debug/libextism.so ]]; then
  cargo build --lib
fi

# The runner, built against the header only and linked by soname (libextism.so.1), so that
# LD_LIBRARY_PATH picks the library at run time.
"${CC:-cc}" -std=c11 -O1 -Wall -Wextra -Wpedantic -Werror -Iinclude "$here/diff.c" \
  -o "$out/diff" -Ltarget/debug -lextism
ln -sf libextism.so target/debug/libextism.so.1

# The reference library, under the names the runner looks for.
reference=$(bash tests/reference-lib.sh "$out/venv")
ln -sf "$reference" "$out/ref/libextism.so"
ln -sf libextism.so "$out/ref/libextism.so.1"

start=$SECONDS
LD_LIBRARY_PATH="$root/target/debug" "$out/diff" c-tests/plugins/ "$@" \
  > "$out/ours.txt" 2> "$out/ours.stderr"
LD_LIBRARY_PATH="$root/$out/ref" "$out/diff" c-tests/plugins/ "$@" \
  > "$out/reference.txt" 2> "$out/reference.stderr"
echo "ran both libraries in $((SECONDS - start)) s (outputs in $out/ours.txt and $out/reference.txt)"

python3 - "$out/ours.txt" "$out/reference.txt" "$here/expected_differences.txt" "$#" <<'PY'
import sys

ours_path, reference_path, expected_path, selected = sys.argv[1:5]


def read_lines(path):
    lines = {}
    order = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            name, _, rest = line.partition(" ")
            if name not in lines:
                order.append(name)
            lines[name] = rest
    return lines, order


ours, order = read_lines(ours_path)
reference, reference_order = read_lines(reference_path)
for name in reference_order:
    if name not in ours:
        order.append(name)

expected = {}
with open(expected_path, encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(" | ")]
        if len(fields) != 4:
            sys.exit(f"{expected_path}:{number}: expected 4 fields separated by ' | '")
        expected[fields[0]] = (fields[1], fields[2], fields[3])

passed = failed = 0
for name in order:
    mine = ours.get(name, "(missing)")
    theirs = reference.get(name, "(missing)")
    if name in expected:
        want_mine, want_theirs, reason = expected[name]
        if mine == want_mine and theirs == want_theirs:
            passed += 1
            continue
        failed += 1
        print(f"FAIL {name}: expected difference did not occur as listed ({reason})")
        print(f"     ours:      {mine}\n     expected:  {want_mine}")
        print(f"     reference: {theirs}\n     expected:  {want_theirs}")
    elif mine == theirs and mine != "(missing)":
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: the libraries differ")
        print(f"     ours:      {mine}\n     reference: {theirs}")

# With no case selected on the command line, every listed difference must have run.
if selected == "0":
    for name in expected:
        if name not in ours and name not in reference:
            failed += 1
            print(f"FAIL {name}: listed in {expected_path} but not run")

agreeing = sum(1 for n in order if n not in expected and ours.get(n) == reference.get(n))
print(f"{agreeing} cases agree, {sum(1 for n in order if n in expected)} listed differences")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
