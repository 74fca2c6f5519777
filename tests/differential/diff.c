/* Differential runner: runs a fixed list of cases through the libextism C API, using only
 * include/extism.h and only the functions the reference library also exports, and prints one
 * line per call:
 *
 *     <case> rc=<rc> out=<output> err=<0|1>
 *
 * <output> is the output in hex when it is at most 32 bytes, otherwise "sha256:<digest>";
 * "len:<n>" or "-" for cases whose output differs from run to run. A case with several calls
 * prints "<case>.1", "<case>.2", ... A plugin that cannot be created prints rc=create-failed.
 * Each case runs in its own child process, so a case that crashes or hangs one library is
 * reported as rc=crash:<signal> or rc=hang and the others still run.
 *
 *     usage: diff PLUGINS_DIR [CASE...]      (no CASE: every case)
 *
 * Run it once against each library (LD_LIBRARY_PATH) and compare the two outputs; see run.sh. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extism.h"

#define CASE_TIMEOUT_SECONDS 10
#define MAX_CALLS 6

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    size_t used;
};

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) {
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(struct sha256 *s, const uint8_t *p) {
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    int i;
    for (i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    }
    for (i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->state[0], b = s->state[1], c = s->state[2], d = s->state[3];
    e = s->state[4], f = s->state[5], g = s->state[6], h = s->state[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] +
             w[i];
        t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->state[0] += a, s->state[1] += b, s->state[2] += c, s->state[3] += d;
    s->state[4] += e, s->state[5] += f, s->state[6] += g, s->state[7] += h;
}

static void sha256_init(struct sha256 *s) {
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->state, initial, sizeof initial);
    s->length = 0;
    s->used = 0;
}

static void sha256_update(struct sha256 *s, const uint8_t *data, size_t len) {
    s->length += len;
    while (len > 0) {
        size_t take = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->block + s->used, data, take);
        s->used += take;
        data += take;
        len -= take;
        if (s->used == 64) {
            sha256_block(s, s->block);
            s->used = 0;
        }
    }
}

/* Writes the digest as 64 lowercase hex digits and a NUL. */
static void sha256_hex(const uint8_t *data, size_t len, char out[65]) {
    struct sha256 s;
    uint8_t tail[8];
    uint64_t bits;
    int i;
    sha256_init(&s);
    sha256_update(&s, data, len);
    bits = s.length * 8;
    sha256_update(&s, (const uint8_t *)"\x80", 1);
    while (s.used != 56) {
        sha256_update(&s, (const uint8_t *)"", 1);
    }
    for (i = 0; i < 8; i++) {
        tail[i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    sha256_update(&s, tail, 8);
    for (i = 0; i < 8; i++) {
        sprintf(out + 8 * i, "%08x", (unsigned)s.state[i]);
    }
}

/* ---- Host functions ---- */

static ExtismMemoryHandle new_block(ExtismCurrentPlugin *plugin, const void *bytes, size_t len) {
    ExtismMemoryHandle h;
    if (len == 0) {
        return 0;
    }
    h = extism_current_plugin_memory_alloc(plugin, len);
    if (h != 0) {
        memcpy(extism_current_plugin_memory(plugin) + h, bytes, len);
    }
    return h;
}

static void echo_handle(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in,
                        ExtismVal *out, ExtismSize n_out, void *data) {
    (void)plugin, (void)n_in, (void)n_out, (void)data;
    out[0].v.i64 = in[0].v.i64;
}

static void add_i32(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in,
                    ExtismVal *out, ExtismSize n_out, void *data) {
    (void)plugin, (void)n_in, (void)n_out, (void)data;
    out[0].v.i32 = in[0].v.i32 + in[1].v.i32;
}

static void add_i64(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in,
                    ExtismVal *out, ExtismSize n_out, void *data) {
    (void)plugin, (void)n_in, (void)n_out, (void)data;
    out[0].v.i64 = in[0].v.i64 + in[1].v.i64;
}

static void mul_f32(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in,
                    ExtismVal *out, ExtismSize n_out, void *data) {
    (void)plugin, (void)n_in, (void)n_out, (void)data;
    out[0].v.f32 = in[0].v.f32 * in[1].v.f32;
}

static void mul_f64(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in,
                    ExtismVal *out, ExtismSize n_out, void *data) {
    (void)plugin, (void)n_in, (void)n_out, (void)data;
    out[0].v.f64 = in[0].v.f64 * in[1].v.f64;
}

static void pair(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in, ExtismVal *out,
                 ExtismSize n_out, void *data) {
    (void)plugin, (void)in, (void)n_in, (void)n_out, (void)data;
    out[0].v.i32 = 7;
    out[1].v.i64 = INT64_C(1) << 40;
}

/* Returns a new block with the argument block's bytes in upper case. */
static void shout(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in, ExtismVal *out,
                  ExtismSize n_out, void *data) {
    ExtismMemoryHandle arg = (ExtismMemoryHandle)in[0].v.i64;
    ExtismSize len = extism_current_plugin_memory_length(plugin, arg), i;
    ExtismMemoryHandle result = len ? extism_current_plugin_memory_alloc(plugin, len) : 0;
    uint8_t *base = extism_current_plugin_memory(plugin);
    (void)n_in, (void)n_out, (void)data;
    for (i = 0; result != 0 && i < len; i++) {
        uint8_t c = base[arg + i];
        base[result + i] = (c >= 'a' && c <= 'z') ? (uint8_t)(c - 32) : c;
    }
    out[0].v.i64 = (int64_t)result;
}

/* Returns a new block "Hello, <argument>!". */
static void greet(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in, ExtismVal *out,
                  ExtismSize n_out, void *data) {
    ExtismMemoryHandle arg = (ExtismMemoryHandle)in[0].v.i64;
    ExtismSize len = extism_current_plugin_memory_length(plugin, arg);
    char text[256];
    int n;
    (void)n_in, (void)n_out, (void)data;
    n = snprintf(text, sizeof text, "Hello, %.*s!", (int)(len < 200 ? len : 200),
                 (const char *)extism_current_plugin_memory(plugin) + arg);
    out[0].v.i64 = (int64_t)new_block(plugin, text, (size_t)n);
}

static int ticks;

static void tick(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in, ExtismVal *out,
                 ExtismSize n_out, void *data) {
    (void)plugin, (void)in, (void)n_in, (void)n_out, (void)data;
    out[0].v.i64 = ++ticks;
}

static ExtismPlugin *reentry_target;

/* Calls back into the plugin it runs in and returns the inner rc as text. */
static void reenter(ExtismCurrentPlugin *plugin, const ExtismVal *in, ExtismSize n_in,
                    ExtismVal *out, ExtismSize n_out, void *data) {
    char text[32];
    int n;
    (void)in, (void)n_in, (void)n_out, (void)data;
    n = snprintf(text, sizeof text, "%d",
                 extism_plugin_call(reentry_target, "call_hello", (const uint8_t *)"x", 1));
    out[0].v.i64 = (int64_t)new_block(plugin, text, (size_t)n);
}

enum host { NO_HOST, HOST_FN, HELLO_GREET, TICK, REENTER };

static size_t make_functions(enum host host, ExtismFunction **f) {
    static const ExtismValType i32x2[] = {ExtismValType_I32, ExtismValType_I32};
    static const ExtismValType i64x2[] = {ExtismValType_I64, ExtismValType_I64};
    static const ExtismValType f32x2[] = {ExtismValType_F32, ExtismValType_F32};
    static const ExtismValType f64x2[] = {ExtismValType_F64, ExtismValType_F64};
    static const ExtismValType i32_i64[] = {ExtismValType_I32, ExtismValType_I64};
    switch (host) {
    case HOST_FN:
        f[0] = extism_function_new("hello_world", i64x2, 1, i64x2, 1, echo_handle, NULL, NULL);
        f[1] = extism_function_new("add_i32", i32x2, 2, i32x2, 1, add_i32, NULL, NULL);
        f[2] = extism_function_new("add_i64", i64x2, 2, i64x2, 1, add_i64, NULL, NULL);
        f[3] = extism_function_new("mul_f32", f32x2, 2, f32x2, 1, mul_f32, NULL, NULL);
        f[4] = extism_function_new("mul_f64", f64x2, 2, f64x2, 1, mul_f64, NULL, NULL);
        f[5] = extism_function_new("pair", NULL, 0, i32_i64, 2, pair, NULL, NULL);
        f[6] = extism_function_new("shout", i64x2, 1, i64x2, 1, shout, NULL, NULL);
        extism_function_set_namespace(f[6], "custom");
        return 7;
    case HELLO_GREET:
        f[0] = extism_function_new("hello_world", i64x2, 1, i64x2, 1, greet, NULL, NULL);
        f[1] = extism_function_new("hello", i64x2, 1, i64x2, 1, greet, NULL, NULL);
        return 2;
    case TICK:
        f[0] = extism_function_new("tick", NULL, 0, i64x2, 1, tick, NULL, NULL);
        return 1;
    case REENTER:
        f[0] = extism_function_new("hello_world", i64x2, 1, i64x2, 1, reenter, NULL, NULL);
        return 1;
    case NO_HOST:
        break;
    }
    return 0;
}

/* ---- Cases ---- */

enum source { FILE_SOURCE, TEXT_SOURCE };
enum out_mode { OUT_BYTES, OUT_LEN, OUT_NONE };
enum special { PLAIN, FUNCTION_V128, NULL_WASM, LOG_FILE_UNOPENABLE };

struct call {
    const char *func;
    const char *input; /* NULL: `generated` bytes of a fixed pattern */
    size_t generated;
};

struct diff_case {
    const char *name;
    enum source source;
    /* FILE_SOURCE: a file in PLUGINS_DIR. TEXT_SOURCE: WAT or a manifest, where {P} stands
     * for PLUGINS_DIR, {T} for a scratch directory and {H} for the SHA-256 of noop.wasm. */
    const char *what;
    bool wasi;
    uint64_t fuel;
    enum host host;
    bool compiled;
    enum out_mode out;
    enum special special;
    struct call calls[MAX_CALLS];
};

#define JSON_PATH(file) "{\"wasm\":[{\"path\":\"{P}" file "\"}]"
#define C1(f, in)                                                                                  \
    {                                                                                              \
        { f, in, 0 }                                                                               \
    }
#define KERNEL(s, in)                                                                              \
    {                                                                                              \
        "kernel." s, FILE_SOURCE, "kernel.wasm", false, 0, NO_HOST, false, OUT_BYTES, PLAIN,       \
            C1(s, in)                                                                              \
    }
#define RETURNS(s)                                                                                 \
    {                                                                                              \
        "returns." s, FILE_SOURCE, "returns.wasm", false, 0, NO_HOST, false, OUT_BYTES, PLAIN,     \
            C1(s, "")                                                                              \
    }
#define ECHO(n)                                                                                    \
    {                                                                                              \
        "echo.size_" #n, FILE_SOURCE, "echo.wasm", false, 0, NO_HOST, false, OUT_BYTES, PLAIN, {   \
            { "echo", NULL, n }                                                                    \
        }                                                                                          \
    }
#define HOSTILE(s, in)                                                                             \
    {                                                                                              \
        "hostile." s, FILE_SOURCE, "hostile.wasm", false, 0, NO_HOST, false, OUT_BYTES, PLAIN,     \
            C1(s, in)                                                                              \
    }
#define HOSTILE_KIND(f, k)                                                                         \
    {                                                                                              \
        "hostile." f "." k, TEXT_SOURCE,                                                           \
            JSON_PATH("hostile.wasm") ",\"allowed_hosts\":[\"127.0.0.1\"]}", false, 0, NO_HOST,    \
            false, OUT_NONE, PLAIN, C1(f, k)                                                       \
    }
#define HOST_FN(s, in)                                                                             \
    {                                                                                              \
        "host_fn." s, FILE_SOURCE, "host_fn.wasm", false, 0, HOST_FN, false, OUT_BYTES, PLAIN,     \
            C1(s, in)                                                                              \
    }
#define SIMPLE(name, file, wasi, f, in)                                                            \
    { name, FILE_SOURCE, file, wasi, 0, NO_HOST, false, OUT_BYTES, PLAIN, C1(f, in) }
#define MANIFEST(name, text, wasi, f, in)                                                          \
    { name, TEXT_SOURCE, text, wasi, 0, NO_HOST, false, OUT_BYTES, PLAIN, C1(f, in) }

#define TICK_WAT                                                                                   \
    "(module\n"                                                                                    \
    "  (import \"extism:host/user\" \"tick\" (func $tick (result i64)))\n"                         \
    "  (import \"extism:host/env\" \"alloc\" (func $alloc (param i64) (result i64)))\n"            \
    "  (import \"extism:host/env\" \"store_u8\" (func $store_u8 (param i64 i32)))\n"               \
    "  (import \"extism:host/env\" \"output_set\" (func $output_set (param i64 i64)))\n"           \
    "  (func (export \"_initialize\") (drop (call $tick)))\n"                                      \
    "  (func (export \"run\") (result i32) (local $h i64)\n"                                       \
    "    (local.set $h (call $alloc (i64.const 1)))\n"                                             \
    "    (call $store_u8 (local.get $h) (i32.add (i32.const 48) (i32.wrap_i64 (call $tick))))\n"   \
    "    (call $output_set (local.get $h) (i64.const 1))\n"                                        \
    "    (i32.const 0)))\n"

/* Base64 of the wasm binary of (module (memory 17) (func (export "run") (result i32) (i32.const
 * 0))). */
#define MEMORY_17_BASE64 "AGFzbQEAAAABBQFgAAF/AwIBAAUDAQARBwcBA3J1bgAACgYBBABBAAs="

static const struct diff_case cases[] = {
    /* noop */
    SIMPLE("noop.run", "noop.wasm", false, "run", ""),
    SIMPLE("noop.run_i32", "noop.wasm", false, "run_i32", "some input"),
    SIMPLE("noop.missing", "noop.wasm", false, "missing", ""),
    SIMPLE("noop.empty_name", "noop.wasm", false, "", ""),
    /* returns */
    RETURNS("ret_42"),
    RETURNS("ret_neg"),
    RETURNS("ret_none"),
    RETURNS("ret_i64"),
    RETURNS("ret_f32"),
    RETURNS("two_results"),
    RETURNS("takes_param"),
    RETURNS("error_rc0"),
    RETURNS("error_rc7"),
    RETURNS("error_then_trap"),
    RETURNS("output_hello"),
    RETURNS("output_then_trap"),
    /* traps, timeouts, fuel, memory limits */
    SIMPLE("traps.unreachable", "traps.wasm", false, "unreachable", ""),
    SIMPLE("traps.div_zero", "traps.wasm", false, "div_zero", ""),
    SIMPLE("traps.oob", "traps.wasm", false, "oob", ""),
    SIMPLE("traps.stack_overflow", "traps.wasm", false, "stack_overflow", ""),
    MANIFEST("traps.timeout", JSON_PATH("traps.wasm") ",\"timeout_ms\":200}", false,
             "infinite_loop", ""),
    MANIFEST("traps.timeout_not_reached", JSON_PATH("noop.wasm") ",\"timeout_ms\":5000}", false,
             "run_i32", ""),
    {"traps.fuel", FILE_SOURCE, "traps.wasm", false, 100000, NO_HOST, false, OUT_BYTES, PLAIN,
     C1("infinite_loop", "")},
    MANIFEST("traps.grow_bomb_max_pages", JSON_PATH("traps.wasm") ",\"memory\":{\"max_pages\":32}}",
             false, "grow_bomb", ""),
    MANIFEST("traps.alloc_bomb_max_pages",
             JSON_PATH("traps.wasm") ",\"memory\":{\"max_pages\":32}}", false, "alloc_bomb", ""),
    MANIFEST("max_pages.initial_17_of_16",
             "{\"wasm\":[{\"data\":\"" MEMORY_17_BASE64 "\"}],"
             "\"memory\":{\"max_pages\":16}}",
             false, "run", ""),
    MANIFEST("max_pages.initial_17_of_17",
             "{\"wasm\":[{\"data\":\"" MEMORY_17_BASE64 "\"}],"
             "\"memory\":{\"max_pages\":17}}",
             false, "run", ""),
    MANIFEST("max_pages.zero", JSON_PATH("noop.wasm") ",\"memory\":{\"max_pages\":0}}", false,
             "run_i32", ""),
    MANIFEST("max_pages.echo_64k_in_2_pages",
             JSON_PATH("echo.wasm") ",\"memory\":{\"max_pages\":2}}", false, "echo", "small"),
    /* a handle the runtime took, freed again by the guest (docs/abi.md 5.4) */
    MANIFEST("reuse.config_twice", JSON_PATH("reuse.wasm") ",\"config\":{\"greeting\":\"Howdy\"}}",
             false, "config_twice", ""),
    SIMPLE("reuse.var_get_twice", "reuse.wasm", false, "var_get_twice", ""),
    SIMPLE("reuse.var_set_twice", "reuse.wasm", false, "var_set_twice", ""),
    SIMPLE("reuse.log_twice", "reuse.wasm", false, "log_twice", ""),
    /* kernel scenarios */
    KERNEL("alloc_zero", ""),
    KERNEL("alloc_length", ""),
    KERNEL("length_invalid", ""),
    KERNEL("free_then_length", ""),
    KERNEL("reuse_after_free", ""),
    KERNEL("bounds", ""),
    KERNEL("input", "0123456789abcdef!"),
    KERNEL("input_empty", ""),
    KERNEL("echo_via_offset", "echo this input back via input_offset"),
    KERNEL("output_invalid", ""),
    KERNEL("error_get_set", ""),
    KERNEL("reset", "some input"),
    KERNEL("memory_bytes", ""),
    KERNEL("alloc_huge", ""),
    /* echo sizes */
    ECHO(0),
    ECHO(1),
    ECHO(7),
    ECHO(8),
    ECHO(9),
    ECHO(4096),
    ECHO(65536),
    ECHO(1048576),
    ECHO(4194304),
    /* big */
    SIMPLE("big.run", "big.wasm", true, "run", ""),
    SIMPLE("big.sum_input", "big.wasm", true, "sum_input", "sum these bytes"),
    /* count_vowels (AssemblyScript PDK): config, vars across calls, fuel */
    SIMPLE("count_vowels.hello", "count_vowels.wasm", false, "count_vowels", "Hello, World!"),
    SIMPLE("count_vowels.empty", "count_vowels.wasm", false, "count_vowels", ""),
    {"count_vowels.total",
     FILE_SOURCE,
     "count_vowels.wasm",
     false,
     0,
     NO_HOST,
     false,
     OUT_BYTES,
     PLAIN,
     {{"count_vowels", "aaa", 0}, {"count_vowels", "eee ii", 0}, {"count_vowels", "x", 0}}},
    MANIFEST("count_vowels.config",
             JSON_PATH("count_vowels.wasm") ",\"config\":{\"vowels\":\"yY\"}}", false,
             "count_vowels", "yellow Yak"),
    {"count_vowels.fuel_enough", FILE_SOURCE, "count_vowels.wasm", false, 50000000, NO_HOST, false,
     OUT_BYTES, PLAIN, C1("count_vowels", "Hello, World!")},
    {"count_vowels.fuel_short", FILE_SOURCE, "count_vowels.wasm", false, 50, NO_HOST, false,
     OUT_BYTES, PLAIN, C1("count_vowels", "Hello, World!")},
    {"count_vowels.compiled",
     FILE_SOURCE,
     "count_vowels.wasm",
     false,
     0,
     NO_HOST,
     true,
     OUT_BYTES,
     PLAIN,
     {{"count_vowels", "abc", 0}, {"count_vowels", "abc", 0}}},
    /* several modules */
    MANIFEST("multi.run",
             "{\"wasm\":[{\"path\":\"{P}multi_lib.wasm\",\"name\":\"lib\"},"
             "{\"path\":\"{P}multi_main.wasm\",\"name\":\"main\"}]}",
             false, "run", ""),
    {"multi.bump",
     TEXT_SOURCE,
     "{\"wasm\":[{\"path\":\"{P}multi_lib.wasm\",\"name\":\"lib\"},"
     "{\"path\":\"{P}multi_main.wasm\",\"name\":\"main\"}]}",
     false,
     0,
     NO_HOST,
     false,
     OUT_BYTES,
     PLAIN,
     {{"bump", "", 0}, {"bump", "", 0}, {"bump", "", 0}}},
    MANIFEST("command.run",
             "{\"wasm\":[{\"path\":\"{P}command_lib.wasm\",\"name\":\"cmd\"},"
             "{\"path\":\"{P}command_main.wasm\",\"name\":\"main\"}]}",
             false, "run", ""),
    MANIFEST("manifest.duplicate_names",
             "{\"wasm\":[{\"path\":\"{P}noop.wasm\"},{\"path\":\"{P}noop.wasm\"}]}", false, "run",
             ""),
    /* WASI */
    SIMPLE("wasi_hello.greet", "wasi_hello.wasm", true, "greet", "World"),
    {"wasi_hello.random_bytes", FILE_SOURCE, "wasi_hello.wasm", true, 0, NO_HOST, false, OUT_LEN,
     PLAIN, C1("random_bytes", "")},
    {"wasi_hello.clock", FILE_SOURCE, "wasi_hello.wasm", true, 0, NO_HOST, false, OUT_LEN, PLAIN,
     C1("clock", "")},
    SIMPLE("wasi_hello.read_without_preopen", "wasi_hello.wasm", true, "read_file",
           "/etc/hostname"),
    SIMPLE("wasi_hello.without_wasi", "wasi_hello.wasm", false, "greet", "World"),
    MANIFEST("wasi_hello.read_preopened",
             "{\"wasm\":[{\"path\":\"{P}wasi_hello.wasm\"}],\"allowed_paths\":{\"{T}\":\"/data\"}}",
             true, "read_file", "/data/hello.txt"),
    MANIFEST("wasi_hello.list_preopened",
             "{\"wasm\":[{\"path\":\"{P}wasi_hello.wasm\"}],\"allowed_paths\":{\"{T}\":\"/data\"}}",
             true, "list_dir", "/data"),
    MANIFEST(
        "wasi_hello.write_read_only",
        "{\"wasm\":[{\"path\":\"{P}wasi_hello.wasm\"}],\"allowed_paths\":{\"ro:{T}\":\"/data\"}}",
        true, "write_file", "/data/new.txt\nnope"),
    {"wasi_hello.write_then_read",
     TEXT_SOURCE,
     "{\"wasm\":[{\"path\":\"{P}wasi_hello.wasm\"}],\"allowed_paths\":{\"{T}\":\"/data\"}}",
     true,
     0,
     NO_HOST,
     false,
     OUT_BYTES,
     PLAIN,
     {{"write_file", "/data/written.txt\nwritten by the guest", 0},
      {"read_file", "/data/written.txt", 0}}},
    MANIFEST(
        "wasi_hello.missing_preopen",
        "{\"wasm\":[{\"path\":\"{P}wasi_hello.wasm\"}],\"allowed_paths\":{\"{T}/missing\":\"/x\"}}",
        true, "greet", "x"),
    SIMPLE("wasi_exit.exit0", "wasi_exit.wasm", true, "exit0", ""),
    SIMPLE("wasi_exit.exit3", "wasi_exit.wasm", true, "exit3", ""),
    SIMPLE("wasi_exit.exit500", "wasi_exit.wasm", true, "exit500", ""),
    SIMPLE("wasi_exit.exit_after_error", "wasi_exit.wasm", true, "exit_after_error", ""),
    /* config and vars */
    MANIFEST("config_var.get_config", JSON_PATH("config_var.wasm") ",\"config\":{\"name\":\"v\"}}",
             false, "get_config", "name"),
    MANIFEST("config_var.get_config_missing", JSON_PATH("config_var.wasm") "}", false, "get_config",
             "absent"),
    SIMPLE("config_var.bad_config_key", "config_var.wasm", false, "bad_config_key", ""),
    {"config_var.vars",
     FILE_SOURCE,
     "config_var.wasm",
     false,
     0,
     NO_HOST,
     false,
     OUT_BYTES,
     PLAIN,
     {{"set_var", "a=1", 0},
      {"get_var", "a", 0},
      {"set_var", "a=", 0},
      {"get_var", "a", 0},
      {"set_var", "no equals sign", 0},
      {"del_var", "a", 0}}},
    MANIFEST("config_var.vars_disabled",
             JSON_PATH("config_var.wasm") ",\"memory\":{\"max_var_bytes\":0}}", false, "set_var",
             "a=1"),
    MANIFEST("config_var.vars_full",
             JSON_PATH("config_var.wasm") ",\"memory\":{\"max_var_bytes\":60}}", false, "set_var",
             "a=0123456789012345678901234567890123456789"),
    /* host functions */
    HOST_FN("call_hello", "hi there"),
    HOST_FN("call_add_i32", ""),
    HOST_FN("call_add_i64", ""),
    HOST_FN("call_mul_f32", ""),
    HOST_FN("call_mul_f64", ""),
    HOST_FN("call_pair", ""),
    HOST_FN("call_shout", "quiet please"),
    SIMPLE("host_fn.missing_functions", "host_fn.wasm", false, "call_add_i32", ""),
    {"host_fn_hello.greet",
     FILE_SOURCE,
     "host_fn_hello.wasm",
     false,
     0,
     HELLO_GREET,
     false,
     OUT_BYTES,
     PLAIN,
     {{"call_hello", "World", 0}, {"call_hello_n", "again", 0}}},
    {"host_fn_hello.compiled",
     FILE_SOURCE,
     "host_fn_hello.wasm",
     false,
     0,
     HELLO_GREET,
     true,
     OUT_BYTES,
     PLAIN,
     {{"call_hello", "compiled", 0}, {"call_hello", "", 0}}},
    {"host_greet.greet",
     FILE_SOURCE,
     "host_greet.wasm",
     false,
     0,
     HELLO_GREET,
     false,
     OUT_BYTES,
     PLAIN,
     {{"greet", "Bob", 0}, {"greet", "", 0}}},
    /* lifecycle */
    {"start.rebuild",
     FILE_SOURCE,
     "start.wasm",
     false,
     0,
     NO_HOST,
     false,
     OUT_BYTES,
     PLAIN,
     {{"count", "", 0},
      {"count", "", 0},
      {"_start", "", 0},
      {"get_runs", "", 0},
      {"count", "", 0},
      {"get_runs", "", 0}}},
    {"init_order.order",
     FILE_SOURCE,
     "init_order.wasm",
     false,
     0,
     NO_HOST,
     false,
     OUT_BYTES,
     PLAIN,
     {{"order", "", 0}, {"order", "", 0}}},
    {"ctors.order",
     FILE_SOURCE,
     "ctors.wasm",
     false,
     0,
     NO_HOST,
     false,
     OUT_BYTES,
     PLAIN,
     {{"order", "", 0}, {"order", "", 0}}},
    {"reactor_init.count",
     FILE_SOURCE,
     "reactor_init.wasm",
     false,
     0,
     NO_HOST,
     false,
     OUT_BYTES,
     PLAIN,
     {{"count", "", 0}, {"count", "", 0}}},
    {"init.runs_once",
     TEXT_SOURCE,
     TICK_WAT,
     false,
     0,
     TICK,
     false,
     OUT_BYTES,
     PLAIN,
     {{"run", "", 0}, {"run", "", 0}}},
    /* logging without a sink */
    SIMPLE("log.level", "log.wasm", false, "level", ""),
    SIMPLE("log.log_all", "log.wasm", false, "log_all", ""),
    /* HTTP that never reaches the network */
    SIMPLE("http_fetch.denied", "http_fetch.wasm", false, "fetch",
           "{\"url\":\"http://example.com/\"}"),
    SIMPLE("http_fetch.bad_json", "http_fetch.wasm", false, "fetch", "nope"),
    /* input forms (docs/abi.md 7.4) */
    MANIFEST("input.wat", "(module (func (export \"run\") (result i32) (i32.const 7)))", false,
             "run", ""),
    MANIFEST("input.wat_comment",
             ";; comment\n(module (func (export \"run\") (result i32) (i32.const 8)))", false,
             "run", ""),
    MANIFEST("input.wat_leading_whitespace",
             "\n  (module (func (export \"run\") (result i32) (i32.const 9)))", false, "run", ""),
    MANIFEST("input.toml", "[[wasm]]\npath = \"{P}noop.wasm\"\n", false, "run_i32", ""),
    MANIFEST("input.hash_ok", "{\"wasm\":[{\"path\":\"{P}noop.wasm\",\"hash\":\"{H}\"}]}", false,
             "run_i32", ""),
    MANIFEST("input.hash_mismatch",
             "{\"wasm\":[{\"path\":\"{P}noop.wasm\",\"hash\":"
             "\"0000000000000000000000000000000000000000000000000000000000000000\"}]}",
             false, "run_i32", ""),
    MANIFEST("input.unknown_field", JSON_PATH("noop.wasm") ",\"bogus\":1}", false, "run", ""),
    MANIFEST("input.missing_file", "{\"wasm\":[{\"path\":\"{T}/nope.wasm\"}]}", false, "run", ""),
    MANIFEST("input.empty", "", false, "run", ""),
    /* hostile guest: self checks, then invalid handles (outputs depend on the layout) */
    HOSTILE("ok", ""),
    HOSTILE("mem_length", ""),
    HOSTILE("mem_free", ""),
    HOSTILE("mem_load", ""),
    HOSTILE("mem_store", ""),
    HOSTILE("input_hostile", "0123456789"),
    HOSTILE("output_hostile", ""),
    HOSTILE("error_hostile", ""),
    HOSTILE("alloc_huge", ""),
    HOSTILE("argless", ""),
    HOSTILE_KIND("config_get", "z"),
    HOSTILE_KIND("config_get", "s"),
    HOSTILE_KIND("config_get", "m"),
    HOSTILE_KIND("config_get", "n"),
    HOSTILE_KIND("config_get", "i"),
    HOSTILE_KIND("config_get", "f"),
    HOSTILE_KIND("config_get", "u"),
    HOSTILE_KIND("var_get", "n"),
    HOSTILE_KIND("var_get", "u"),
    HOSTILE_KIND("var_set_key", "n"),
    HOSTILE_KIND("var_set_key", "z"),
    HOSTILE_KIND("var_set_value", "n"),
    HOSTILE_KIND("var_set_value", "u"),
    HOSTILE_KIND("http_request", "n"),
    HOSTILE_KIND("http_request", "z"),
    HOSTILE_KIND("http_body", "n"),
    HOSTILE_KIND("log_info", "n"),
    /* deliberate differences (docs/abi.md 9) */
    {"d3.reentrant_call", FILE_SOURCE, "host_fn_hello.wasm", false, 0, REENTER, false, OUT_BYTES,
     PLAIN, C1("call_hello", "outer")},
    {"d7.function_v128", FILE_SOURCE, "noop.wasm", false, 0, NO_HOST, false, OUT_NONE,
     FUNCTION_V128, C1("run", "")},
    {"d7.log_file_unopenable", FILE_SOURCE, "noop.wasm", false, 0, NO_HOST, false, OUT_NONE,
     LOG_FILE_UNOPENABLE, C1("run", "")},
    {"d7.null_wasm", FILE_SOURCE, "noop.wasm", false, 0, NO_HOST, false, OUT_NONE, NULL_WASM,
     C1("run", "")},
};

/* ---- Running one case ---- */

static const char *plugins_dir;
static char scratch[64];
static char noop_hash[65];

/* Expands {P}, {T} and {H} in `text` into a malloc'd string. */
static char *expand(const char *text) {
    size_t cap = strlen(text) * 2 + 4096, n = 0;
    char *out = malloc(cap);
    const char *p;
    if (out == NULL) {
        return NULL;
    }
    for (p = text; *p != '\0'; p++) {
        const char *with = NULL;
        if (p[0] == '{' && p[1] != '\0' && p[2] == '}') {
            with = p[1] == 'P'   ? plugins_dir
                   : p[1] == 'T' ? scratch
                   : p[1] == 'H' ? noop_hash
                                 : NULL;
        }
        if (with != NULL) {
            size_t len = strlen(with);
            if (n + len + 1 >= cap) {
                break;
            }
            memcpy(out + n, with, len);
            n += len;
            p += 2;
        } else if (n + 2 < cap) {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return out;
}

static uint8_t *read_whole(const char *path, size_t *len) {
    FILE *file = fopen(path, "rb");
    uint8_t *data = NULL;
    long size;
    if (file == NULL) {
        return NULL;
    }
    if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 &&
        fseek(file, 0, SEEK_SET) == 0) {
        data = malloc((size_t)size + 1);
        if (data != NULL && fread(data, 1, (size_t)size, file) != (size_t)size) {
            free(data);
            data = NULL;
        }
        *len = (size_t)size;
    }
    fclose(file);
    return data;
}

static void print_line(const char *name, int index, int calls, const char *rc, const char *out,
                       const char *err) {
    if (calls > 1) {
        printf("%s.%d rc=%s out=%s err=%s\n", name, index + 1, rc, out, err);
    } else {
        printf("%s rc=%s out=%s err=%s\n", name, rc, out, err);
    }
    fflush(stdout);
}

static void describe_output(ExtismPlugin *plugin, enum out_mode mode, char *out, size_t cap) {
    ExtismSize len = extism_plugin_output_length(plugin);
    const uint8_t *data = extism_plugin_output_data(plugin);
    size_t i;
    if (mode == OUT_NONE) {
        snprintf(out, cap, "-");
    } else if (mode == OUT_LEN) {
        snprintf(out, cap, "len:%llu", (unsigned long long)len);
    } else if (len == 0) {
        snprintf(out, cap, "empty");
    } else if (data == NULL) {
        snprintf(out, cap, "null");
    } else if (len <= 32) {
        for (i = 0; i < len; i++) {
            snprintf(out + 2 * i, cap - 2 * i, "%02x", data[i]);
        }
    } else {
        char digest[65];
        sha256_hex(data, (size_t)len, digest);
        snprintf(out, cap, "sha256:%s", digest);
    }
}

static int count_calls(const struct diff_case *c) {
    int n = 0;
    while (n < MAX_CALLS && c->calls[n].func != NULL) {
        n++;
    }
    return n;
}

/* Runs in the child: creates the plugin, makes the calls, prints a line per call. */
static int run_case(const struct diff_case *c) {
    ExtismFunction *functions[8] = {NULL};
    size_t n_functions = make_functions(c->host, functions), i;
    int calls = count_calls(c), k;
    char *errmsg = NULL;
    char path[4096];
    char out[80];
    char rc_text[32];
    uint8_t *wasm = NULL;
    size_t len = 0;
    ExtismPlugin *plugin = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    if (c->special == FUNCTION_V128) {
        const ExtismValType v128 = ExtismValType_V128;
        ExtismFunction *f = extism_function_new("f", &v128, 1, NULL, 0, echo_handle, NULL, NULL);
        print_line(c->name, 0, 1, f == NULL ? "null" : "created", "-", "-");
        extism_function_free(f);
        return 0;
    }
    if (c->special == LOG_FILE_UNOPENABLE) {
        bool ok = extism_log_file("/nonexistent-directory/sub/extism.log", "info");
        print_line(c->name, 0, 1, ok ? "true" : "false", "-", "-");
        return 0;
    }
    if (c->special == NULL_WASM) {
        plugin = extism_plugin_new(NULL, 8, NULL, 0, false, &errmsg);
        print_line(c->name, 0, 1, plugin == NULL ? "create-failed" : "created", "-",
                   errmsg != NULL ? "1" : "0");
        return 0;
    }

    if (c->source == FILE_SOURCE) {
        snprintf(path, sizeof path, "%s%s", plugins_dir, c->what);
        wasm = read_whole(path, &len);
        if (wasm == NULL) {
            fprintf(stderr, "diff: cannot read %s\n", path);
            return 1;
        }
    } else {
        wasm = (uint8_t *)expand(c->what);
        len = wasm ? strlen((const char *)wasm) : 0;
    }
    if (c->compiled) {
        compiled = c->fuel
                       ? extism_compiled_plugin_new_with_fuel_limit(
                             wasm, len, (const ExtismFunction **)functions, n_functions, c->wasi,
                             c->fuel, &errmsg)
                       : extism_compiled_plugin_new(wasm, len, (const ExtismFunction **)functions,
                                                    n_functions, c->wasi, &errmsg);
        if (compiled != NULL) {
            plugin = extism_plugin_new_from_compiled(compiled, &errmsg);
        }
    } else if (c->fuel) {
        plugin = extism_plugin_new_with_fuel_limit(wasm, len, (const ExtismFunction **)functions,
                                                   n_functions, c->wasi, c->fuel, &errmsg);
    } else {
        plugin = extism_plugin_new(wasm, len, (const ExtismFunction **)functions, n_functions,
                                   c->wasi, &errmsg);
    }
    reentry_target = plugin;
    if (plugin == NULL) {
        if (getenv("DIFF_VERBOSE") != NULL) {
            fprintf(stderr, "%s: %s\n", c->name, errmsg ? errmsg : "(no errmsg)");
        }
        print_line(c->name, 0, 1, "create-failed", "-", errmsg != NULL ? "1" : "0");
    }
    for (k = 0; plugin != NULL && k < calls; k++) {
        const struct call *call = &c->calls[k];
        uint8_t *generated = NULL;
        const uint8_t *input = (const uint8_t *)call->input;
        size_t input_len = call->input ? strlen(call->input) : call->generated;
        int32_t rc;
        const char *error;
        if (call->input == NULL) {
            generated = malloc(input_len + 1);
            for (i = 0; generated != NULL && i < input_len; i++) {
                generated[i] = (uint8_t)(i * 7 + input_len);
            }
            input = generated;
        }
        rc = extism_plugin_call(plugin, call->func, input, input_len);
        error = extism_plugin_error(plugin);
        if (error != NULL && getenv("DIFF_VERBOSE") != NULL) {
            fprintf(stderr, "%s[%d]: %s\n", c->name, k + 1, error);
        }
        describe_output(plugin, c->out, out, sizeof out);
        snprintf(rc_text, sizeof rc_text, "%d", (int)rc);
        print_line(c->name, k, calls, rc_text, out, error != NULL ? "1" : "0");
        free(generated);
    }

    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    extism_compiled_plugin_free(compiled);
    for (i = 0; i < n_functions; i++) {
        extism_function_free(functions[i]);
    }
    free(wasm);
    return 0;
}

/* Runs a case in a child process; reports crashes and hangs. */
static void run_isolated(const struct diff_case *c) {
    pid_t pid;
    int status = 0;
    time_t deadline = time(NULL) + CASE_TIMEOUT_SECONDS;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        _exit(run_case(c));
    }
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            break;
        }
        if (done < 0 && errno != EINTR) {
            perror("waitpid");
            return;
        }
        if (time(NULL) > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            print_line(c->name, 0, 1, "hang", "-", "-");
            return;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    if (WIFSIGNALED(status)) {
        char rc[32];
        snprintf(rc, sizeof rc, "crash:%d", WTERMSIG(status));
        print_line(c->name, 0, 1, rc, "-", "-");
    } else if (WEXITSTATUS(status) != 0) {
        print_line(c->name, 0, 1, "runner-failed", "-", "-");
    }
}

static bool selected(const char *name, int argc, char **argv) {
    int i;
    if (argc <= 2) {
        return true;
    }
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv) {
    size_t i, len = 0;
    uint8_t *noop;
    char file[128];
    FILE *out;

    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGINS_DIR [CASE...]\n", argv[0]);
        return 2;
    }
    plugins_dir = argv[1];
    snprintf(file, sizeof file, "%s%s", plugins_dir, "noop.wasm");
    noop = read_whole(file, &len);
    if (noop == NULL) {
        fprintf(stderr, "diff: cannot read %s\n", file);
        return 2;
    }
    sha256_hex(noop, len, noop_hash);
    free(noop);

    /* A scratch directory for the WASI cases, with one file in it. */
    snprintf(scratch, sizeof scratch, "/tmp/extism-diff-XXXXXX");
    if (mkdtemp(scratch) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(file, sizeof file, "%s/hello.txt", scratch);
    out = fopen(file, "w");
    if (out != NULL) {
        fputs("hello from the host\n", out);
        fclose(out);
    }

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (selected(cases[i].name, argc, argv)) {
            run_isolated(&cases[i]);
        }
    }

    unlink(file);
    snprintf(file, sizeof file, "%s/written.txt", scratch);
    unlink(file);
    snprintf(file, sizeof file, "%s/new.txt", scratch);
    unlink(file);
    rmdir(scratch);
    return 0;
}
