#!/usr/bin/env bash
# Runs the Ruby example and its tests against target/$EXTISM_PROFILE/libextism.so (default
# debug). Needs Ruby with ruby-ffi (Debian: apt-get install ruby ruby-ffi).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export EXTISM_LIB=${EXTISM_LIB:-$root/target/${EXTISM_PROFILE:-debug}/libextism.so}
if [[ ! -f $EXTISM_LIB ]]; then
  echo "run.sh: $EXTISM_LIB not found; build it first" >&2
  exit 2
fi
ruby "$here/example.rb"
ruby "$here/test_example.rb"
