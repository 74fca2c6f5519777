#!/usr/bin/env bash
# Benchmarks this libextism against the reference libextism (PyPI package extism-sys) on this
# machine: builds both sides, runs benches/bench.c against each library in turn (ours, reference,
# ours, reference, ...), and prints one comparison table.
#
#   usage: benches/compare.sh [WORKLOAD...]      (default: every workload)
#   environment: ROUNDS (default 5) rounds of ours + reference;
#                BENCH_ARGS extra arguments for bench (e.g. --quick);
#                BENCH_RUST_BACKTRACE value of RUST_BACKTRACE for both (default: unset)
#
# Results of each run are kept in build/bench/results/. Exits non-zero if a build fails or any
# workload fails on either library (a failing workload shows as "FAIL" in the table).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=build/bench
ROUNDS=${ROUNDS:-5}
read -r -a EXTRA <<<"${BENCH_ARGS:-}"

# The default environment, as a user would have it: the on-disk caches enabled, and no Rust
# backtrace capture (with RUST_BACKTRACE=1 every error value, even one handled internally,
# records a backtrace, which slows both libraries by microseconds per occurrence).
# BENCH_RUST_BACKTRACE=1 measures both libraries with RUST_BACKTRACE=1 instead.
unset EXTISM_CACHE_CONFIG RUST_BACKTRACE RUST_LIB_BACKTRACE
if [[ -n ${BENCH_RUST_BACKTRACE:-} ]]; then
    export RUST_BACKTRACE=$BENCH_RUST_BACKTRACE
fi

mkdir -p "$OUT/ours" "$OUT/ref" "$OUT/results"
rm -f "$OUT"/results/*.txt

echo "== building libextism (release)" >&2
cargo build --release --lib >&2

echo "== installing the reference library" >&2
ref_lib=$(bash tests/reference-lib.sh "$OUT/venv")

echo "== building the benchmark" >&2
# Linked by name only (no rpath): LD_LIBRARY_PATH picks the library at run time.
cc -O2 -std=c11 -Wall -Wextra -I include -o "$OUT/bench" benches/bench.c \
    -L target/release -lextism -lpthread

# The binary asks for our library by its soname (e.g. libextism.so.1), which a plain cargo build
# does not create as a file; give each side a directory holding its library under both names.
needed=$({ readelf -d "$OUT/bench" 2>/dev/null || objdump -p "$OUT/bench" 2>/dev/null || true; } |
    grep -o 'libextism[^] ]*' | sort -u || true)
for name in libextism.so libextism.so.1 $needed; do
    ln -sfn "$PWD/target/release/libextism.so" "$OUT/ours/$name"
    ln -sfn "$ref_lib" "$OUT/ref/$name"
done
ours_dir=$PWD/$OUT/ours
ref_dir=$PWD/$OUT/ref
status=0

# CPU accounting, to tell whether something else competed for the machine during the runs:
# /proc/stat busy and steal ticks of the whole machine, and the CPU time of our own children.
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }
# `times` must run in this shell, not in a command substitution, to see this shell's children.
children_cpu() {
    awk 'NR == 2 { s = 0; for (i = 1; i <= NF; i++) { split($i, t, "m"); sub("s", "", t[2]); s += t[1] * 60 + t[2] } print s }' \
        "$OUT/results/times"
}
read -r busy0 steal0 < <(cpu_ticks)
times >"$OUT/results/times"
self0=$(children_cpu)
start=$(date +%s.%N)
for round in $(seq 1 "$ROUNDS"); do
    for side in ours ref; do
        if [[ $side == ours ]]; then dir=$ours_dir; else dir=$ref_dir; fi
        echo "== round $round/$ROUNDS: $side" >&2
        if ! LD_LIBRARY_PATH=$dir "$OUT/bench" --plugins c-tests/plugins "${EXTRA[@]}" "$@" \
            >"$OUT/results/$side.$round.txt"; then
            echo "!! a workload failed on $side (round $round), see $OUT/results/$side.$round.txt" >&2
            status=1
        fi
    done
done

# System calls per per-request cycle, counted by strace: `bench --run cycle_count` with 0 and
# with CYCLES measured cycles (after the same warm-up), and the difference divided by CYCLES.
# For `cycle` (count_vowels.wasm) and `cycle_grow` (grow_vowels.wasm): all system calls
# (`<workload>_syscalls`) and those that change the memory map (`<workload>_map_syscalls`:
# mmap, munmap, mprotect, madvise, process_madvise, mremap). The rows go into each side's
# first-round results.
for workload in cycle cycle_grow; do
    if [[ " $* " != *" $workload "* && $# -ne 0 ]]; then
        continue
    fi
    if ! command -v strace >/dev/null 2>&1; then
        echo "== installing strace" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >&2
    fi
    if [[ $workload == cycle ]]; then plugin=count_vowels.wasm; else plugin=grow_vowels.wasm; fi
    CYCLES=10000
    syscalls() { # dir cycles -> "total map" system calls of the whole run
        BENCH_CYCLE_PLUGIN=$plugin BENCH_CYCLES=$2 LD_LIBRARY_PATH=$1 \
            strace -f -c -o "$OUT/results/strace" \
            "$OUT/bench" --plugins c-tests/plugins --run cycle_count >&2
        awk '$NF == "total" { total = $4 }
             $NF ~ /^(mmap|munmap|mprotect|madvise|process_madvise|mremap)$/ { map += $4 }
             END { print total + 0, map + 0 }' "$OUT/results/strace"
    }
    for side in ours ref; do
        if [[ $side == ours ]]; then dir=$ours_dir; else dir=$ref_dir; fi
        echo "== system calls per cycle: $workload, $side" >&2
        read -r base base_map < <(syscalls "$dir" 0)
        read -r full full_map < <(syscalls "$dir" "$CYCLES")
        per=$(awk -v a="$base" -v b="$full" -v n="$CYCLES" 'BEGIN { printf "%.3f", (b - a) / n }')
        map=$(awk -v a="$base_map" -v b="$full_map" -v n="$CYCLES" 'BEGIN { printf "%.3f", (b - a) / n }')
        echo "${workload}_syscalls $per $per $per calls 1" >>"$OUT/results/$side.1.txt"
        echo "${workload}_map_syscalls $map $map $map calls 1" >>"$OUT/results/$side.1.txt"
    done
done

read -r busy1 steal1 < <(cpu_ticks)
times >"$OUT/results/times"
self1=$(children_cpu)
end=$(date +%s.%N)
load_note=$(awk -v b="$((busy1 - busy0))" -v st="$((steal1 - steal0))" -v hz="$(getconf CLK_TCK)" \
    -v self="$(awk -v a="$self0" -v b="$self1" 'BEGIN { print b - a }')" \
    -v wall="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" -v n="$(nproc)" 'BEGIN {
        other = (b / hz - self) / (wall * n) * 100; if (other < 0) other = 0
        printf "other processes used %.0f%% of the CPU time during the runs, steal %.0f%%", other, st / hz / (wall * n) * 100
        if (other > 5 || st / hz / (wall * n) > 0.05) printf " (a busy machine: expect noisy numbers)"
    }')

echo
echo "machine: $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), Linux $(uname -r)"
{ grep -h '^# library' "$OUT/results/ours.1.txt" "$OUT/results/ref.1.txt" || true; } | sed 's/^# /  /'
echo "load: $load_note"
echo "environment: EXTISM_CACHE_CONFIG unset, RUST_BACKTRACE=${RUST_BACKTRACE:-(unset)}"
echo "rounds: $ROUNDS (each value: median of the per-round medians; range: lowest min to highest max)"
echo

"$OUT/venv/bin/python" - "$OUT/results" "$ROUNDS" <<'PY'
import glob, os, statistics, sys

results, rounds = sys.argv[1], int(sys.argv[2])
HIGHER_IS_BETTER = {"GB/s", "calls/s", "cycles/s", "x", "share"}
# Targets for ours / reference (time and memory: at most); scaling is checked on our own value.
TARGETS = {
    "create_first": 1.0, "create_again": 0.10, "new_from_compiled": 0.05, "cycle_cpu_1t": 0.04,
    "cycle_grow_cpu_1t": 0.04,
    "call_noop": 0.15, "call_pdk": 0.15, "call_pdk_echo": 0.15, "host_fn": 0.15, "rss_100": 0.5,
}
ECHO_TIME_TARGET = ("echo_16mib", 0.3)  # time ratio = reference GB/s / ours GB/s
# Ours alone: 2-thread rate / 1-thread rate.
SCALE_TARGETS = {"scale_2t_over_1t": 1.8, "cycle_2t_over_1t": 1.8, "cycle_grow_2t_over_1t": 1.8}

def load(side):
    data, order = {}, []
    for r in range(1, rounds + 1):
        path = os.path.join(results, f"{side}.{r}.txt")
        if not os.path.exists(path):
            continue
        for line in open(path):
            f = line.split()
            if not f or f[0].startswith("#") or len(f) < 5:
                continue
            name = f[0]
            if name not in data:
                data[name] = {"med": [], "min": [], "max": [], "unit": f[4]}
                order.append(name)
            data[name]["med"].append(float(f[1]))
            data[name]["min"].append(float(f[2]))
            data[name]["max"].append(float(f[3]))
    return data, order

ours, order = load("ours")
ref, ref_order = load("ref")
order += [n for n in ref_order if n not in order]

def fmt(x):
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.1f}"
    if x >= 10:
        return f"{x:.2f}"
    return f"{x:.3g}" if x >= 0.01 else f"{x:.2g}"

def cell(d):
    if d is None:
        return "FAIL", None
    m = statistics.median(d["med"])
    return f"{fmt(m)} ({fmt(min(d['min']))}-{fmt(max(d['max']))})", m

rows = [("workload", "unit", "ours median (min-max)", "reference median (min-max)",
         "ours/ref", "better", "target")]
for name in order:
    o, r = ours.get(name), ref.get(name)
    unit = (o or r)["unit"]
    oc, om = cell(o)
    rc, rm = cell(r)
    ratio = better = target = ""
    if om is not None and rm is not None and rm > 0 and om > 0:
        q = om / rm
        ratio = f"{q:.3f}"
        if unit in HIGHER_IS_BETTER:
            better = f"ours {q:.2f}x" if q >= 1 else f"ref {1 / q:.2f}x"
            better += " (higher=better)"
        else:
            better = f"ours {1 / q:.2f}x" if q <= 1 else f"ref {q:.2f}x"
        if name in TARGETS:
            t = TARGETS[name]
            target = f"<= {t}: " + ("met" if q <= t else "MISSED")
        elif name == ECHO_TIME_TARGET[0]:
            t = ECHO_TIME_TARGET[1]
            target = f"time <= {t}: {1 / q:.3f} " + ("met" if 1 / q <= t else "MISSED")
    if name in SCALE_TARGETS and om is not None:
        t = SCALE_TARGETS[name]
        target = f"ours >= {t}: " + ("met" if om >= t else "MISSED")
    rows.append((name, unit, oc, rc, ratio, better, target))

widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for i, r in enumerate(rows):
    print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if i == 0:
        print("  ".join("-" * w for w in widths))

def med(d, n):
    return statistics.median(d[n]["med"]) if n in d else None

print()
for name in ("machine_2t_over_1t", "cycle_machine_2t_over_1t", "cycle_grow_machine_2t_over_1t"):
    control = [x for d in (ours, ref) if name in d for x in d[name]["med"]]
    if control:
        print(f"the machine itself runs 2 busy threads at {statistics.median(control):.2f}x one thread"
              f" ({name}, a library-free loop)")
m_ours, m_ref = med(ours, "memcpy_16mib"), med(ref, "memcpy_16mib")
e_ours, e_ref = med(ours, "echo_16mib"), med(ref, "echo_16mib")
if m_ours and e_ours:
    print(f"echo_16mib as a share of memcpy in the same process: ours {e_ours / m_ours:.1%}"
          + (f", reference {e_ref / m_ref:.1%}" if m_ref and e_ref else ""))
PY

if [[ $status -ne 0 ]]; then
    echo "some workloads failed; see $OUT/results/" >&2
fi
exit "$status"
