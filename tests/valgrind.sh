#!/usr/bin/env bash
# The whole CTest suite under valgrind's memcheck, and the threaded tests under helgrind,
# against a Release build of the library: the release's own (CMake's EXTISM_PORTABLE, i.e.
# scripts/portable-cargo.sh: zig, glibc 2.17), so that CI checks the library it ships and builds
# it once; EXTISM_PORTABLE=0 takes a plain `cargo build --release` instead.
#
#   tests/valgrind.sh            configure build/valgrind, build, run every test under memcheck
#
# Every test program (the C tests and the C++ example) runs as
#   valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 ...
# so a test fails when memcheck finds an invalid access, a use of uninitialised memory or a
# definitely lost block, even if the program itself passed. tests/valgrind.supp lists the two
# kinds of reports that are expected and why (wasm code touching the guard pages around its
# memory, which is how wasmtime traps out-of-bounds accesses; and a wasmparser false positive).
#
# Then the script reads every memcheck log and prints one summary: how many programs ran, and
# their leak and error totals. Last, it runs the threaded tests under helgrind (see below). It
# exits non-zero if a test failed, a log is missing, a log reports definitely lost bytes or
# helgrind reports a race it was not told about.
#
# Under valgrind:
#   - the on-disk compile cache is off (EXTISM_CACHE_CONFIG=), so every run compiles its plugins
#     and the result does not depend on what an earlier run left in the cache;
#   - create_call_free_loop runs 2,000 cycles instead of 100,000 (EXTISM_LOOP_CYCLES; the full
#     loop runs in the ASan suite);
#   - stress_threads uses one plugin per thread (EXTISM_STRESS_PLUGINS_PER_THREAD=1): a process
#     under valgrind has address space for about 15 plugins, as each reserves 4 GiB for each of
#     its two linear memories; for the same reason descriptors makes 6 plugins of distinct
#     modules per case instead of 1,000 (EXTISM_FD_TEST_PLUGINS);
#   - the instance pool has 4 slots (EXTISM_POOL_SLOTS=4; the default, sized for the whole
#     address space, cannot be reserved under valgrind), so that both pooled instances and the
#     fallback to instances allocated on demand run, and pool_overflow makes 6 plugins instead
#     of 5,000 (EXTISM_POOL_TEST_PLUGINS). Freed slots keep nothing resident
#     (EXTISM_POOL_KEEP_RESIDENT=0), so that the release of a slot's memory with madvise runs
#     under memcheck too (the zeroing in place runs in every other test);
#   - threads are scheduled fairly (--fair-sched=yes): valgrind runs one thread at a time, and
#     its default lock lets a thread spinning in wasm code take it back again and again, so the
#     timer thread that ends timed-out calls could wait for seconds;
#   - time limits, and the tests' bounds on elapsed time, are multiplied by 20
#     (EXTISM_TEST_TIMEOUT_FACTOR, which the tests see as EXTISM_TEST_TIME_SCALE).
# Installs valgrind if it is missing (Debian/Ubuntu).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/valgrind
logs=$build/memcheck

if ! command -v valgrind >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind
fi

launcher=(
    valgrind --tool=memcheck --fair-sched=yes --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30
    "--suppressions=$root/tests/valgrind.supp" --gen-suppressions=all
    "--log-file=$logs/%p.log"
)
launcher_list=$(IFS=';'; echo "${launcher[*]}")

portable=ON
[[ ${EXTISM_PORTABLE:-1} == 0 ]] && portable=OFF
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEXTISM_PORTABLE=$portable \
    "-DEXTISM_TEST_LAUNCHER=$launcher_list" -DEXTISM_TEST_TIMEOUT_FACTOR=20
cmake --build "$build" -j2

rm -rf "$logs"
mkdir -p "$logs"
status=0
EXTISM_CACHE_CONFIG='' EXTISM_LOOP_CYCLES=2000 EXTISM_STRESS_PLUGINS_PER_THREAD=1 \
    EXTISM_POOL_SLOTS=4 EXTISM_POOL_KEEP_RESIDENT=0 EXTISM_POOL_TEST_PLUGINS=6 \
    EXTISM_FD_TEST_PLUGINS=6 ctest --test-dir "$build" -j2 --output-on-failure || status=1

# One log per program run under valgrind; the header and symbol tests run no program. The HTTP
# tests start their server with posix_spawn, and valgrind writes a log of a few lines for the
# child before it execs python3 (children are not traced): those logs, recognised by a parent
# that has a log of its own, are set aside.
shopt -s nullglob
program_logs=()
for log in "$logs"/*.log; do
    parent=$(sed -n 's/^==[0-9]*== Parent PID: \([0-9]*\)$/\1/p' "$log" | head -n 1)
    if [[ -n $parent && -e $logs/$parent.log ]]; then
        continue
    fi
    program_logs+=("$log")
done
programs=${#program_logs[@]}
expected=$(ctest --test-dir "$build" -N | grep -cE 'Test +#' || true)
expected=$((expected - 3)) # header_c99, header_cxx11, exported_symbols
if ((programs < expected)); then
    echo "valgrind.sh: $programs memcheck logs for $expected test programs" >&2
    status=1
fi

summary=$(awk '
    /definitely lost:/   { gsub(",", "", $4); lost += $4; n_lost++ }
    /indirectly lost:/   { gsub(",", "", $4); indirect += $4 }
    /All heap blocks were freed/ { n_lost++ }
    /ERROR SUMMARY:/     { errors += $4; gsub("[()]", "", $0); suppressed += $(NF - 2) }
    END { printf "%d %d %d %d %d", n_lost, lost, indirect, errors, suppressed }
 ' /dev/null "${program_logs[@]}")
read -r with_leak_check lost indirect errors suppressed <<<"$summary"
if ((with_leak_check < programs)); then
    echo "valgrind.sh: only $with_leak_check of $programs logs have a leak summary" >&2
    status=1
fi
if ((lost > 0)); then
    echo "valgrind.sh: definitely lost bytes reported:" >&2
    grep -l 'definitely lost: [1-9]' "${program_logs[@]}" >&2
    status=1
fi
echo "valgrind memcheck: $programs programs; definitely lost: $lost bytes; indirectly lost: $indirect bytes; errors: $errors (suppressed: $suppressed)"

# Helgrind over the tests whose threads share plugins, cancel handles and the library's global
# state. tests/helgrind.supp lists what helgrind cannot model (rayon's work queues in the
# parallel compiler, values published through OnceLock and once_cell, atomics) and why; any
# other report fails the test. Helgrind knows pthread locks but not std's futex-based Mutex,
# so these tests are the ones whose threads do not contend on one Mutex. timeout_siblings and
# log_setup_while_running are left out: they assert how soon other threads make progress, and
# helgrind runs one thread at a time, much slower.
helgrind_tests=(host_fn_threads stress_threads cancel_from_thread cancel_blocked_callback cancel_siblings)
helgrind_logs=$build/helgrind
rm -rf "$helgrind_logs"
mkdir -p "$helgrind_logs"
for test in "${helgrind_tests[@]}"; do
    if EXTISM_CACHE_CONFIG='' EXTISM_STRESS_PLUGINS_PER_THREAD=1 \
        valgrind --tool=helgrind --fair-sched=yes --num-callers=40 --error-exitcode=98 \
        "--suppressions=$root/tests/helgrind.supp" --gen-suppressions=all \
        "--log-file=$helgrind_logs/$test.log" "$build/c-tests/$test" >"$helgrind_logs/$test.out" 2>&1; then
        result=passed
    else
        result=FAILED
        status=1
        cat "$helgrind_logs/$test.out" >&2
        # head closes the pipe early on a long log; that must not end the script (pipefail)
        # before the other tests and the summary lines.
        grep -v '^==[0-9]*== *$' "$helgrind_logs/$test.log" | head -n 80 >&2 || true
    fi
    echo "helgrind $test: $result; $(sed -n 's/^==[0-9]*== ERROR SUMMARY: //p' "$helgrind_logs/$test.log")"
done
exit $status
