/* More live plugins than the instance pool has slots: 5,000 plugins made with
 * extism_plugin_new from the same wasm (10,000 instances: each has the kernel's and main's),
 * all created before any is freed (plugins made from a compiled plugin use the serving engine,
 * which has no pool). Every
 * one is callable and independent (its own vars), the pool being full does not fail a
 * creation, and once all are freed the resident set is back within MAX_GROWTH_MIB of where it
 * was after the first plugin, besides what the pool's slots keep for reuse: every slot used
 * keeps the first 64 KiB of its memory and a page of its table resident (KEPT_PER_SLOT_KIB).
 * The pool has DEFAULT_SLOTS slots unless EXTISM_POOL_SLOTS says otherwise, so the bound does
 * not depend on the machine's CPU count. The number of plugins comes from
 * EXTISM_POOL_TEST_PLUGINS (default DEFAULT_PLUGINS).
 *
 * ASan's allocator keeps freed memory for its own reuse, so the resident set of an ASan build
 * says more about the sanitizer than about the library, and under valgrind the resident set
 * is mostly valgrind's own (its translations of the code the overflow brings up): in both the
 * bound is not checked. CTest also runs this program built without sanitizers
 * (pool_overflow_rss), which checks it. */
#include "check.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define DEFAULT_PLUGINS 5000
#define MAX_GROWTH_MIB 8
#define DEFAULT_SLOTS "256"
#define KEPT_PER_SLOT_KIB 72
#define MAX_LINES 64
#define INPUT "Hello, World!"

EXTISM_TEST_SMALL_ASAN_QUARANTINE

static int line_count;
static char *lines[MAX_LINES];

static void collect_line(const char *data, ExtismSize size) {
    if (line_count < MAX_LINES && strstr(data, "extism::engine") != NULL) {
        lines[line_count] = malloc((size_t)size + 1);
        if (lines[line_count] != NULL) {
            memcpy(lines[line_count], data, (size_t)size + 1);
            line_count++;
        }
    }
}

static bool logged(const char *needle) {
    for (int i = 0; i < line_count; i++) {
        if (strstr(lines[i], needle) != NULL) {
            return true;
        }
    }
    return false;
}

/* resident_kib (check.h), after handing glibc's free heap memory back to the system: what
 * glibc keeps on its free lists after a storm of allocations is not the library's. */
static long trimmed_resident_kib(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    return resident_kib();
}

#ifndef EXTISM_TEST_ASAN
/* Whether this process runs under valgrind, which preloads its vgpreload_*.so into it. */
static bool under_valgrind(void) {
    const char *preload = getenv("LD_PRELOAD");
    return preload != NULL && strstr(preload, "vgpreload") != NULL;
}
#endif

static long plugins_from_environment(void) {
    const char *text = getenv("EXTISM_POOL_TEST_PLUGINS");
    char *end = NULL;
    long n;
    if (text == NULL || text[0] == '\0') {
        return DEFAULT_PLUGINS;
    }
    n = strtol(text, &end, 10);
    return *end == '\0' && n > 0 ? n : -1;
}

/* Calls count_vowels on `plugin` and checks the output, whose total is the plugin's own. */
static bool call_and_check(ExtismPlugin *plugin, int total, long n) {
    int failed = 0;
    char expected[128];
    int32_t rc = extism_plugin_call(plugin, "count_vowels", (const uint8_t *)INPUT, strlen(INPUT));
    CHECK(rc == 0, "plugin %ld: rc %d, error %s", n, rc, text_or_null(extism_plugin_error(plugin)));
    snprintf(expected, sizeof expected, "{\"count\":3,\"total\":%d,\"vowels\":\"aeiouAEIOU\"}",
             total);
    CHECK(extism_plugin_output_length(plugin) == strlen(expected) &&
              memcmp(extism_plugin_output_data(plugin), expected, strlen(expected)) == 0,
          "plugin %ld: unexpected output for total %d", n, total);
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    long count = plugins_from_environment();
    long created = 0;
    long start_kib, peak_kib, end_kib;
    long slots;
    char *errmsg = NULL;
    uint8_t *wasm = NULL;
    size_t wasm_len = 0;
    ExtismPlugin **plugins = NULL;
    ExtismPlugin *first = NULL;

    CHECK(count > 0, "EXTISM_POOL_TEST_PLUGINS must be a positive number");
    CHECK(setenv("EXTISM_POOL_SLOTS", DEFAULT_SLOTS, 0) == 0, "setenv failed");
    slots = atol(getenv("EXTISM_POOL_SLOTS"));
    CHECK(extism_log_custom("extism::engine=debug"), "extism_log_custom failed");
    wasm = read_file(plugin_path("count_vowels.wasm"), &wasm_len);
    CHECK(wasm != NULL, "count_vowels.wasm cannot be read");
    plugins = calloc((size_t)count, sizeof *plugins);
    CHECK(plugins != NULL, "out of memory");

    /* The first plugin brings up the engine and its pool; the resident set is measured after. */
    first = extism_plugin_new(wasm, wasm_len, NULL, 0, false, &errmsg);
    CHECK(first != NULL, "first plugin: %s", text_or_null(errmsg));
    CHECK(call_and_check(first, 3, -1), "first plugin");
    extism_plugin_free(first);
    first = NULL;
    start_kib = trimmed_resident_kib();
    CHECK(start_kib > 0, "cannot read VmRSS");

    for (created = 0; created < count; created++) {
        plugins[created] = extism_plugin_new(wasm, wasm_len, NULL, 0, false, &errmsg);
        CHECK(plugins[created] != NULL, "plugin %ld of %ld: %s", created, count,
              text_or_null(errmsg));
    }
    /* All live at once: each is called twice, and its var `total` is its own. */
    for (long i = 0; i < count; i++) {
        CHECK(call_and_check(plugins[i], 3, i), "first call");
    }
    for (long i = count - 1; i >= 0; i--) {
        CHECK(call_and_check(plugins[i], 6, i), "second call");
    }
    peak_kib = trimmed_resident_kib();
    for (long i = 0; i < count; i++) {
        extism_plugin_free(plugins[i]);
        plugins[i] = NULL;
    }
    created = 0;

    /* A plugin made after the storm is served as before. */
    first = extism_plugin_new(wasm, wasm_len, NULL, 0, false, &errmsg);
    CHECK(first != NULL, "plugin after the storm: %s", text_or_null(errmsg));
    CHECK(call_and_check(first, 3, -1), "plugin after the storm");
    extism_plugin_free(first);
    first = NULL;

    /* The log lines waiting to be drained are the library's memory too: drained first. */
    extism_log_drain(collect_line);
    end_kib = trimmed_resident_kib();
    printf("%ld plugins, %ld pool slots: resident %ld KiB at the start, %ld KiB with all live, "
           "%ld KiB after freeing them\n",
           count, slots, start_kib, peak_kib, end_kib);
#ifndef EXTISM_TEST_ASAN
    CHECK(under_valgrind() ||
              end_kib - start_kib <= MAX_GROWTH_MIB * 1024 + slots * KEPT_PER_SLOT_KIB,
          "resident set grew by %ld KiB and stayed (at most %d MiB allowed, and %d KiB for each "
          "of %ld slots)",
          end_kib - start_kib, MAX_GROWTH_MIB, KEPT_PER_SLOT_KIB, slots);
#endif

    /* Either the pool overflowed into instances allocated on demand, or there was no pool. */
    CHECK(logged("instance pool full: allocating on demand") ||
              logged("instances are allocated on demand"),
          "no extism::engine line says how the %ld plugins beyond the pool were served (%d "
          "lines)",
          count, line_count);

cleanup:
    for (long i = 0; i < created; i++) {
        extism_plugin_free(plugins[i]);
    }
    free(plugins);
    extism_plugin_free(first);
    free(wasm);
    extism_plugin_new_error_free(errmsg);
    for (int i = 0; i < line_count; i++) {
        free(lines[i]);
    }
    return failed ? EXIT_FAILURE : 0;
}
