# Sourced by tests/install/run.sh and tests/release/run.sh: the outcome helpers both use.
# Expects $work, a scratch directory. Each script exits with the count of failures recorded.
failures=0
pass() { echo "ok    $1"; }
fail() { echo "FAIL  $1"; failures=$((failures + 1)); }
# check DESCRIPTION COMMAND...: runs the command quietly and records the outcome.
check() {
  local description=$1
  shift
  if "$@" >"$work/last.log" 2>&1; then pass "$description"; else fail "$description"; sed 's/^/      /' "$work/last.log"; fi
}
# same DESCRIPTION GOT WANT
same() {
  if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi
}
# pkg-config ends its output with a space.
pc() { pkg-config "$@" | sed 's/[[:space:]]*$//'; }
needed_libs() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
