#!/bin/sh
# Checks that libextism exports exactly the extism_* functions listed in exported_symbols.txt
# and that extism.h declares each of them.
# Usage: sh check_symbols.sh LIBRARY SYMBOL_LIST HEADER [NM]
set -u

library=$1
list=$2
header=$3
nm_tool=${4:-nm}
status=0

if [ ! -f "$library" ]; then
    echo "no library at $library"
    exit 1
fi
if [ ! -f "$header" ]; then
    echo "no header at $header"
    exit 1
fi

expected=$(grep -v '^[[:space:]]*#' "$list" | grep -v '^[[:space:]]*$' | sort -u)
if ! exported=$("$nm_tool" -D --defined-only "$library"); then
    echo "$nm_tool failed on $library"
    exit 1
fi
exported=$(printf '%s\n' "$exported" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)
# Declarations only: skip comment lines, which may mention function names in prose.
declared=$(grep -v '^[[:space:]]*\(\*\|/\*\|//\)' "$header" |
    grep -o 'extism_[A-Za-z0-9_]*[[:space:]]*(' | sed 's/[[:space:]]*($//' | sort -u)

for name in $expected; do
    if ! printf '%s\n' "$exported" | grep -qx "$name"; then
        echo "not exported by $library: $name"
        status=1
    fi
    if ! printf '%s\n' "$declared" | grep -qx "$name"; then
        echo "not declared in $header: $name"
        status=1
    fi
done

for name in $(printf '%s\n' "$exported" | grep '^extism_'); do
    if ! printf '%s\n' "$expected" | grep -qx "$name"; then
        echo "exported but not listed in $list: $name"
        status=1
    fi
done

for name in $declared; do
    if ! printf '%s\n' "$expected" | grep -qx "$name"; then
        echo "declared in $header but not listed in $list: $name"
        status=1
    fi
done

count=$(printf '%s\n' "$expected" | wc -l)
if [ "$status" -eq 0 ]; then
    echo "all $count listed functions are exported and declared, and nothing else is"
fi
exit "$status"
