#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 60), one after the other, then
# prints the number of executions per target (libFuzzer's stat::number_of_executed_units).
#
#   fuzz/run.sh [SECONDS]
#
# Works on a stable toolchain: the targets are built without a sanitizer (`--sanitizer none`),
# which needs no -Z flag. Set SANITIZER=address together with RUSTC_BOOTSTRAP=1 to build with
# AddressSanitizer instead.
#
# Environment:
#   CARGO_TARGET_DIR  build directory (default: fuzz/target)
#   TARGETS           targets to run (default: "manifest plugin_new kernel_ops")
#   SANITIZER         none (default), address, ...
#   WORK              scratch directory for new corpus entries and logs (default: fuzz/work)
# The committed seeds in fuzz/corpus/<target> are read but never written; crashes go to
# fuzz/artifacts/<target>. Exits 1 if any target crashed or did not report its statistics.

set -euo pipefail

seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
# No on-disk compilation cache: one entry per generated module is of no use.
export EXTISM_CACHE_CONFIG=
sanitizer=${SANITIZER:-none}
read -r -a targets <<<"${TARGETS:-manifest plugin_new kernel_ops}"
work=${WORK:-$here/work}

build_start=$(date +%s)
cargo fuzz build --sanitizer "$sanitizer"
echo "build: $(($(date +%s) - build_start)) s"

failed=0
results=()
for target in "${targets[@]}"; do
    mkdir -p "$work/corpus/$target" "$work/logs" "artifacts/$target"
    log="$work/logs/$target.log"
    status=0
    cargo fuzz run --sanitizer "$sanitizer" "$target" \
        "$work/corpus/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=30 >"$log" 2>&1 || status=$?
    execs=$(awk '/^stat::number_of_executed_units:/ { n = $2 } END { print n }' "$log")
    if [[ -z $execs ]]; then
        results+=("$target: no statistics (exit $status), see $log")
        failed=1
    elif [[ $status -ne 0 ]]; then
        artifact=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | tail -n 1)
        results+=("$target: $execs executions, CRASH (exit $status) ${artifact:-}, see $log")
        failed=1
    else
        results+=("$target: $execs executions in ${seconds} s")
    fi
done

printf '%s\n' "${results[@]}"
exit "$failed"
