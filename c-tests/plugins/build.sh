#!/usr/bin/env bash
# Rebuilds every test plugin (.wasm) in this folder from its source.
#   WAT:            wat2wasm (Debian package: wabt)
#   C:              clang + wasm-ld for wasm32, wasi-libc for the WASI reactors
#                   (Debian packages: clang, lld, wasi-libc, libclang-rt-dev-wasm32)
#   AssemblyScript: npm ci + npx asc in as/ (Debian packages: nodejs, npm)
#   big.wasm:       python3 generates its table (Debian package: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "build.sh: '$1' not found; install $2" >&2
        exit 1
    fi
}
need wat2wasm "the Debian package 'wabt'"
need wasm-objdump "the Debian package 'wabt'"
need clang "the Debian package 'clang'"
need wasm-ld "the Debian package 'lld'"
need node "the Debian package 'nodejs'"
need npm "the Debian package 'npm'"
need python3 "the Debian package 'python3'"

probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '#include <stdio.h>\nint f(void){return printf("x");}\n' > "$probe/p.c"
if ! clang --target=wasm32-wasi -mexec-model=reactor -O2 "$probe/p.c" -o "$probe/p.wasm" 2>"$probe/err"; then
    cat "$probe/err" >&2
    echo "build.sh: clang cannot build wasm32-wasi reactors; install the Debian packages 'wasi-libc' and 'libclang-rt-dev-wasm32'" >&2
    exit 1
fi

# WAT modules (every *.wat, hostile.wat included)
for src in *.wat; do
    flags=()
    [[ $src == two_memories.wat ]] && flags=(--enable-multi-memory)
    wat2wasm "${flags[@]}" "$src" -o "${src%.wat}.wasm"
done
# hostile.wasm must import all 32 functions of extism:host/env.
hostile_imports=$(wasm-objdump -x -j Import hostile.wasm | grep -c '<- extism:host/env\.' || true)
if [[ $hostile_imports -ne 32 ]]; then
    echo "build.sh: hostile.wasm imports $hostile_imports functions of extism:host/env, expected 32" >&2
    exit 1
fi

# Freestanding C
clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=echo echo.c -o echo.wasm

# C with wasi-libc (reactors)
wasi_cc=(clang --target=wasm32-wasi -mexec-model=reactor -O2)
"${wasi_cc[@]}" wasi_hello.c -o wasi_hello.wasm
# The layout of a Rust wasm32 program: a 1 MiB stack first, then data and heap.
"${wasi_cc[@]}" -Wl,-z,stack-size=1048576 -Wl,--stack-first grow_vowels.c -o grow_vowels.wasm
python3 big_table.py "$probe/big_table.c" > /dev/null
"${wasi_cc[@]}" big.c "$probe/big_table.c" -o big.wasm

# AssemblyScript with the Extism PDK
(
    cd as
    npm ci --no-audit --no-fund --loglevel=error
    for plugin in count_vowels host_greet http_fetch; do
        npx asc "$plugin.ts" abort.ts --outFile "../$plugin.wasm" -O --noAssert \
            --use abort=abort/pluginAbort
    done
    npx asc echo.ts abort.ts --outFile ../as_echo.wasm -O --noAssert --use abort=abort/pluginAbort
)

# Every plugin must import only known namespaces (AssemblyScript's env.abort must not appear).
status=0
for wasm in *.wasm; do
    if wasm-objdump -x -j Import "$wasm" 2>/dev/null | grep -E '<- ' | grep -Ev '<- (extism:host/(env|user)|custom|lib|cmd|wasi_snapshot_preview1)\.' >&2; then
        echo "build.sh: unexpected import in $wasm" >&2
        status=1
    fi
done
exit "$status"
