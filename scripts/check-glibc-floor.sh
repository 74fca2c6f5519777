#!/usr/bin/env bash
# Checks that ELF files load on glibc 2.17 (scripts/portable-cargo.sh --glibc-floor), as the
# dynamic loader decides it:
#   - no needed GLIBC_x.y version (readelf's version-needs section, which the loader checks
#     before anything runs) is above the floor;
#   - no undefined symbol is both strong and unversioned: such a symbol was not found in the
#     floor's libraries at link time (gettid, say, which glibc has only from 2.30), and an
#     older glibc fails to resolve it when the library is loaded or the function first called.
# Prints each file's highest GLIBC version; exits non-zero, naming the symbols, on a failure.
#
#   usage: scripts/check-glibc-floor.sh FILE...
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
floor=$("$root/scripts/portable-cargo.sh" --glibc-floor)
status=0
for file in "$@"; do
  versions=$(readelf --version-info -W "$file" | sed -n 's/.*Name: GLIBC_\([0-9][0-9.]*\) .*/\1/p' | sort -uV)
  highest=$(echo "$versions" | tail -n 1)
  above=$(printf '%s\n' "$versions" "$floor" | sort -uV | sed -n "/^${floor//./\\.}\$/,\$p" | tail -n +2)
  # Undefined, GLOBAL (not WEAK) and without @VERSION: index 0 is the null symbol (LOCAL).
  unversioned=$(readelf --dyn-syms -W "$file" | awk '$7 == "UND" && $5 == "GLOBAL" && $8 !~ /@/ { print $8 }')
  if [[ -n $above ]]; then
    echo "check-glibc-floor.sh: $file needs GLIBC_$(echo $above | sed 's/ /, GLIBC_/g'), above $floor, for:" >&2
    for version in $above; do
      readelf --dyn-syms -W "$file" | awk -v v="@GLIBC_$version" 'index($8, v) { print "  " $8 }' >&2
    done
    status=1
  fi
  if [[ -n $unversioned ]]; then
    echo "check-glibc-floor.sh: $file has undefined symbols that glibc $floor does not provide:" \
      $unversioned >&2
    status=1
  fi
  echo "$file: highest GLIBC_${highest:-none} (floor $floor)"
done
exit $status
