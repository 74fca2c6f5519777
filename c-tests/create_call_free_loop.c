/* Create, call and free a small plugin (noop.wasm) many times: from one compiled plugin, and
 * every 100th cycle from the wasm bytes. The resident set after the loop must stay within
 * MAX_GROWTH_MIB of the resident set after the first WARMUP cycles, so nothing is kept per
 * plugin. The number of cycles comes from EXTISM_LOOP_CYCLES (default DEFAULT_CYCLES). */
#include <time.h>

#include "check.h"

#define DEFAULT_CYCLES 100000
#define WARMUP 1000
#define FROM_BYTES_EVERY 100
#define MAX_GROWTH_MIB 16

EXTISM_TEST_SMALL_ASAN_QUARANTINE

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long cycles_from_environment(void) {
    const char *text = getenv("EXTISM_LOOP_CYCLES");
    char *end = NULL;
    long cycles;
    if (text == NULL || text[0] == '\0') {
        return DEFAULT_CYCLES;
    }
    cycles = strtol(text, &end, 10);
    if (*end != '\0' || cycles < 1) {
        return -1;
    }
    return cycles;
}

/* One cycle: create, call, check, free. */
static bool cycle(const ExtismCompiledPlugin *compiled, const uint8_t *wasm, size_t len,
                  bool from_bytes, long n) {
    int failed = 0;
    char *errmsg = NULL;
    int32_t rc;
    ExtismPlugin *plugin = from_bytes ? extism_plugin_new(wasm, len, NULL, 0, false, &errmsg)
                                      : extism_plugin_new_from_compiled(compiled, &errmsg);
    CHECK(plugin != NULL, "cycle %ld: creation failed: %s", n, text_or_null(errmsg));
    rc = extism_plugin_call(plugin, "run_i32", (const uint8_t *)"input", 5);
    CHECK(rc == 0, "cycle %ld: rc %d, error %s", n, rc, text_or_null(extism_plugin_error(plugin)));
    CHECK(extism_plugin_error(plugin) == NULL, "cycle %ld: error set", n);
cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    return !failed;
}

int main(void) {
    int failed = 0;
    long cycles = cycles_from_environment();
    long n, warm_kib = -1, end_kib = -1, start_kib;
    double start, warm_time = 0;
    size_t len = 0;
    uint8_t *wasm = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    CHECK(cycles > 0, "EXTISM_LOOP_CYCLES must be a positive integer");
    wasm = read_file(plugin_path("noop.wasm"), &len);
    CHECK(wasm != NULL, "cannot read noop.wasm");
    compiled = load_compiled_plugin("noop.wasm", NULL, 0, false);
    CHECK(compiled != NULL, "noop.wasm did not compile");

    start_kib = resident_kib();
    start = now_seconds();
    for (n = 1; n <= cycles; n++) {
        CHECK(cycle(compiled, wasm, len, n % FROM_BYTES_EVERY == 0, n), "cycle %ld", n);
        if (n == WARMUP) {
            warm_kib = resident_kib();
            warm_time = now_seconds() - start;
        }
    }
    end_kib = resident_kib();
    if (warm_kib < 0) {
        /* Fewer cycles than the warm-up: compare with the start. */
        warm_kib = start_kib;
    }

    printf("%ld cycles in %.1f s (%.1f s for the first %d); VmRSS %ld KiB at the start, "
           "%ld KiB after the warm-up, %ld KiB at the end (growth %ld KiB)\n",
           cycles, now_seconds() - start, warm_time, WARMUP, start_kib, warm_kib, end_kib,
           end_kib - warm_kib);
    CHECK(warm_kib > 0 && end_kib > 0, "VmRSS not found in /proc/self/status");
    CHECK(end_kib - warm_kib < MAX_GROWTH_MIB * 1024L,
          "resident memory grew by %ld KiB after the warm-up (limit %d MiB)", end_kib - warm_kib,
          MAX_GROWTH_MIB);

cleanup:
    extism_compiled_plugin_free(compiled);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
