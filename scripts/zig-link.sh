#!/bin/sh
# The linker of the portable build (scripts/portable-cargo.sh makes it cargo's linker for the
# target): zig links through cargo-zigbuild's cc wrapper, whose path cargo-zigbuild puts in
# CC_<target> (named by EXTISM_ZIG_CC_VARIABLE), then objcopy removes the debug information.
#
# Why not let rustc strip: for its default `strip = "debuginfo"` rustc passes
# -Wl,--strip-debug, and zig takes that as strip everything, symbol table included. Without the
# symbol table, backtraces, debuggers, profilers and valgrind (tests/valgrind.supp names
# functions) see no function names. So the profile keeps everything (portable-cargo.sh sets
# strip to none) and this script drops what the default would have dropped: the debug
# information of the precompiled standard library. The output matches what a plain
# `cargo build --release` gives: symbols, no DWARF.
set -e

eval "zig_cc=\${${EXTISM_ZIG_CC_VARIABLE:?set by scripts/portable-cargo.sh}:-}"
if [ -z "$zig_cc" ]; then
  echo "zig-link.sh: \$$EXTISM_ZIG_CC_VARIABLE is empty: run through scripts/portable-cargo.sh" >&2
  exit 2
fi
"$zig_cc" "$@"

# The output file: rustc passes -o PATH (on the command line, or in an @file when the command
# line is too long for the system, one argument per line).
output=
previous=
for arg in "$@"; do
  case $arg in
    @*)
      # shellcheck disable=SC2013 # one argument per line
      while IFS= read -r line; do
        [ "$previous" = -o ] && output=$line
        previous=$line
      done <"${arg#@}"
      ;;
    *)
      [ "$previous" = -o ] && output=$arg
      previous=$arg
      ;;
  esac
done
if [ -z "$output" ]; then
  echo "zig-link.sh: no -o among the linker arguments" >&2
  exit 2
fi
objcopy --strip-debug "$output"
