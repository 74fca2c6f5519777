/* Many plugins, threads, timeouts and cancels at once (docs/abi.md 3.6, 3.13, 8.1): 8 threads each
 * call their own 4 plugins (made from one compiled plugin with timeout_ms 50) 1,000 times
 * each, mostly a quick export and sometimes an endless loop, while a 9th thread cancels random
 * plugins. Every call must end as a success (rc 0, output "ok") or as a timeout (rc 134,
 * "timeout"), and the endless loops only as timeouts. Afterwards every plugin still works.
 *
 * EXTISM_STRESS_PLUGINS_PER_THREAD (1 to 4, default 4) lowers the number of plugins per thread
 * (the calls per thread stay the same). tests/valgrind.sh sets 1: under valgrind a process has
 * address space for about 15 plugins, as each reserves two 4 GiB linear memories. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"

#define THREADS 8
#define PLUGINS_PER_THREAD 4
#define CALLS_PER_THREAD 4000
#define PLUGINS (THREADS * PLUGINS_PER_THREAD)
/* One call in SLOW_SHARE runs the endless loop (up to its 50 ms timeout). */
#define SLOW_SHARE 16

/* `quick` outputs "ok"; `spin` loops until it is interrupted. */
static const char STRESS_WAT[] =
    "(module\n"
    "  (import \"extism:host/env\" \"alloc\" (func $alloc (param i64) (result i64)))\n"
    "  (import \"extism:host/env\" \"store_u8\" (func $store_u8 (param i64 i32)))\n"
    "  (import \"extism:host/env\" \"output_set\" (func $output_set (param i64 i64)))\n"
    "  (func (export \"quick\") (result i32)\n"
    "    (local $h i64)\n"
    "    (local.set $h (call $alloc (i64.const 2)))\n"
    "    (call $store_u8 (local.get $h) (i32.const 0x6f))\n"
    "    (call $store_u8 (i64.add (local.get $h) (i64.const 1)) (i32.const 0x6b))\n"
    "    (call $output_set (local.get $h) (i64.const 2))\n"
    "    (i32.const 0))\n"
    "  (func (export \"spin\") (result i32)\n"
    "    (loop $forever (br $forever))\n"
    "    (i32.const 0)))\n";

struct worker {
    int index;
    ExtismPlugin *plugins[PLUGINS_PER_THREAD];
    long quick_ok, quick_timeout, slow_timeout, bad;
    char first_bad[256];
};

static atomic_int workers_running;

static uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

static void note_bad(struct worker *worker, const char *func, int32_t rc, const char *error) {
    if (worker->bad++ == 0) {
        snprintf(worker->first_bad, sizeof worker->first_bad, "%s: rc %d, error %s", func, rc,
                 text_or_null(error));
    }
}

/* Plugins per thread in use: 1 to PLUGINS_PER_THREAD. */
static int per_thread = PLUGINS_PER_THREAD;

static void *run_worker(void *arg) {
    struct worker *worker = arg;
    uint32_t state = 0x9e3779b9u ^ (uint32_t)(worker->index * 7919 + 1);
    int call;
    for (call = 0; call < CALLS_PER_THREAD; call++) {
        ExtismPlugin *plugin = worker->plugins[call % per_thread];
        bool slow = next_random(&state) % SLOW_SHARE == 0;
        const char *func = slow ? "spin" : "quick";
        int32_t rc = extism_plugin_call(plugin, func, NULL, 0);
        const char *error = extism_plugin_error(plugin);
        bool timed_out = rc == 134 && error != NULL && strcmp(error, "timeout") == 0;
        if (slow) {
            if (timed_out) {
                worker->slow_timeout++;
            } else {
                note_bad(worker, func, rc, error);
            }
        } else if (timed_out) {
            worker->quick_timeout++;
        } else if (rc == 0 && error == NULL && extism_plugin_output_length(plugin) == 2 &&
                   memcmp(extism_plugin_output_data(plugin), "ok", 2) == 0) {
            worker->quick_ok++;
        } else {
            note_bad(worker, func, rc, error);
        }
    }
    atomic_fetch_sub(&workers_running, 1);
    return NULL;
}

struct canceller {
    const ExtismCancelHandle *handles[PLUGINS];
    long cancels, refused;
};

static void *run_canceller(void *arg) {
    struct canceller *canceller = arg;
    uint32_t state = 0x12345678u;
    struct timespec pause = {0, 500000L};
    while (atomic_load(&workers_running) > 0) {
        if (extism_plugin_cancel(
                canceller->handles[next_random(&state) % (THREADS * per_thread)])) {
            canceller->cancels++;
        } else {
            canceller->refused++;
        }
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int main(void) {
    int failed = 0;
    int i, j, started = 0, joined = 0;
    bool canceller_started = false;
    long quick_ok = 0, quick_timeout = 0, slow_timeout = 0, bad = 0;
    char manifest[512];
    char *errmsg = NULL;
    pthread_t threads[THREADS];
    pthread_t canceller_thread;
    static struct worker workers[THREADS];
    static struct canceller canceller;
    ExtismCompiledPlugin *compiled = NULL;
    const char *setting = getenv("EXTISM_STRESS_PLUGINS_PER_THREAD");

    if (setting != NULL) {
        per_thread = atoi(setting);
        CHECK(per_thread >= 1 && per_thread <= PLUGINS_PER_THREAD,
              "EXTISM_STRESS_PLUGINS_PER_THREAD must be 1 to %d", PLUGINS_PER_THREAD);
    }
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"data\":{\"ptr\":%llu,\"len\":%llu}}],\"timeout_ms\":50}",
             (unsigned long long)(uintptr_t)STRESS_WAT, (unsigned long long)strlen(STRESS_WAT));
    compiled = extism_compiled_plugin_new((const uint8_t *)manifest, strlen(manifest), NULL, 0,
                                          false, &errmsg);
    CHECK(compiled != NULL, "the stress module did not compile: %s", text_or_null(errmsg));
    for (i = 0; i < THREADS; i++) {
        workers[i].index = i;
        for (j = 0; j < per_thread; j++) {
            ExtismPlugin *plugin = extism_plugin_new_from_compiled(compiled, &errmsg);
            CHECK(plugin != NULL, "new_from_compiled failed: %s", text_or_null(errmsg));
            workers[i].plugins[j] = plugin;
            canceller.handles[i * per_thread + j] = extism_plugin_cancel_handle(plugin);
            CHECK(canceller.handles[i * per_thread + j] != NULL, "no cancel handle");
        }
    }

    atomic_init(&workers_running, THREADS);
    for (i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&threads[i], NULL, run_worker, &workers[i]) == 0,
              "pthread_create failed");
        started++;
    }
    CHECK(pthread_create(&canceller_thread, NULL, run_canceller, &canceller) == 0,
          "pthread_create failed");
    canceller_started = true;
    for (; joined < started; joined++) {
        pthread_join(threads[joined], NULL);
    }
    pthread_join(canceller_thread, NULL);
    canceller_started = false;

    for (i = 0; i < THREADS; i++) {
        quick_ok += workers[i].quick_ok;
        quick_timeout += workers[i].quick_timeout;
        slow_timeout += workers[i].slow_timeout;
        bad += workers[i].bad;
        if (workers[i].bad > 0) {
            fprintf(stderr, "thread %d: %ld unexpected results, the first: %s\n", i, workers[i].bad,
                    workers[i].first_bad);
        }
    }
    printf("plugins: %d; calls: %d; quick ok: %ld; quick cancelled: %ld; loops stopped: %ld; "
           "unexpected: %ld; cancels: %ld (refused %ld)\n",
           THREADS * per_thread, THREADS * CALLS_PER_THREAD, quick_ok, quick_timeout, slow_timeout,
           bad, canceller.cancels, canceller.refused);
    CHECK(bad == 0, "%ld calls ended neither in success nor in a timeout", bad);
    CHECK(quick_ok + quick_timeout + slow_timeout == (long)THREADS * CALLS_PER_THREAD,
          "calls are missing from the counts");
    CHECK(canceller.refused == 0, "%ld cancel requests were refused", canceller.refused);
    CHECK(slow_timeout > 0 && quick_ok > 0, "the mix ran no loops or no quick calls");

    /* No cancel lingers: with nobody cancelling, every plugin's next call succeeds. */
    for (i = 0; i < THREADS; i++) {
        for (j = 0; j < per_thread; j++) {
            CHECK_CALL_OUTPUT(workers[i].plugins[j], "quick", "", "ok");
        }
    }

cleanup:
    for (; joined < started; joined++) {
        pthread_join(threads[joined], NULL);
    }
    if (canceller_started) {
        pthread_join(canceller_thread, NULL);
    }
    for (i = 0; i < THREADS; i++) {
        for (j = 0; j < PLUGINS_PER_THREAD; j++) {
            extism_plugin_free(workers[i].plugins[j]);
        }
    }
    extism_compiled_plugin_free(compiled);
    extism_plugin_new_error_free(errmsg);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
