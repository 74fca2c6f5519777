#!/usr/bin/env bash
# Builds and runs the Go example against target/$EXTISM_PROFILE/libextism.so (default debug),
# then its tests. Needs Go ≥ 1.19 with cgo (Debian: apt-get install golang-go).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
libdir=$root/target/${EXTISM_PROFILE:-debug}
if [[ ! -f $libdir/libextism.so ]]; then
  echo "run.sh: $libdir/libextism.so not found; build it first" >&2
  exit 2
fi
# A library with a SONAME (libextism.so.1) is looked up under that name at run time, so the
# cargo output directory needs a link of that name (CMake builds make the same link).
soname=$(readelf -d "$libdir/libextism.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [[ -n $soname && ! -e $libdir/$soname ]]; then
  ln -s libextism.so "$libdir/$soname"
fi
export CGO_ENABLED=1
export CGO_CFLAGS="-I$root/include"
export CGO_LDFLAGS="-L$libdir -Wl,-rpath,$libdir"
cd "$here"
go run .
go test -count=1 -v .
