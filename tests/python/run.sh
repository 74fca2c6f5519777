#!/usr/bin/env bash
# Runs the pytest suite in this folder on the official Python SDK (PyPI `extism`), loading
# either the reference libextism (PyPI `extism-sys`) or this project's library.
#
#   usage: tests/python/run.sh [reference|ours] [pytest arguments...]     (default: ours)
#
# Each side gets its own virtual environment under build/, made by tests/reference-lib.sh. For `ours`, the SDK's extism_sys/libextism_sys.so is
# replaced by a symlink to target/$EXTISM_PROFILE/libextism.so (EXTISM_PROFILE: debug, the
# default, or release), which must already be built. Nothing is written into the source tree.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
side=${1:-ours}
[[ $# -gt 0 ]] && shift

reference_lib_sh=$root/tests/reference-lib.sh

case $side in
  reference)
    venv=$root/build/python-reference
    bash "$reference_lib_sh" "$venv" >/dev/null
    ;;
  ours)
    profile=${EXTISM_PROFILE:-debug}
    ours=$root/target/$profile/libextism.so
    if [[ ! -f $ours ]]; then
      echo "run.sh: $ours not found; build it first (cargo build --lib${profile/debug/})" >&2
      exit 2
    fi
    venv=$root/build/python-ours
    # reference-lib.sh imports extism_sys, which loads whatever sits at libextism_sys.so, so
    # point an existing venv at the current library before it runs.
    sys_lib=$(ls "$venv"/lib/python3*/site-packages/extism_sys/libextism_sys.so 2>/dev/null || true)
    if [[ -n $sys_lib ]]; then
      ln -sfn "$ours" "$sys_lib"
    fi
    bash "$reference_lib_sh" "$venv" >/dev/null
    sys_lib=$("$venv/bin/python" -c 'import os, extism_sys; print(os.path.join(os.path.dirname(extism_sys.__file__), "libextism_sys.so"))')
    ln -sfn "$ours" "$sys_lib"
    ;;
  *)
    echo "usage: $0 [reference|ours] [pytest arguments...]" >&2
    exit 2
    ;;
esac

if ! "$venv/bin/python" -c 'import pytest' 2>/dev/null; then
  "$venv/bin/pip" install -q "pytest==${PYTEST_VERSION:-8.3.4}" >&2
fi

cd "$here"
status=0
PYTHONDONTWRITEBYTECODE=1 EXTISM_TEST_LIBRARY=$side "$venv/bin/python" -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
  echo "run.sh: pytest collected no tests" >&2
  exit 1
fi
exit $status
