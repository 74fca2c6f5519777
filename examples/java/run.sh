#!/usr/bin/env bash
# Runs the Java host (HostFunctions.java, through JNA) against target/$EXTISM_PROFILE/libextism.so
# (default debug), once with 1 MiB and once with 256 KiB thread stacks (-Xss): host functions
# and log callbacks called from the main thread and from three other threads. Needs a JDK and
# JNA (Debian: apt-get install default-jdk-headless libjna-java).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export EXTISM_LIB=${EXTISM_LIB:-$root/target/${EXTISM_PROFILE:-debug}/libextism.so}
export EXTISM_PLUGINS=$root/c-tests/plugins
jna=${JNA_JAR:-/usr/share/java/jna.jar}
if [[ ! -f $EXTISM_LIB ]]; then
  echo "run.sh: $EXTISM_LIB not found; build it first" >&2
  exit 2
fi
classes=$root/build/java-classes
mkdir -p "$classes"
javac -d "$classes" -cp "$jna" "$here/HostFunctions.java"
for xss in 1m 256k; do
  echo "--- -Xss$xss"
  java "-Xss$xss" "-Dextism.xss=$xss" -cp "$jna:$classes" HostFunctions
done
