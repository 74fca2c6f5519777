/* A cancel that arrives while a host callback is blocked (docs/abi.md 8.1): the callback is not
 * interrupted, and the call stops with 134 "timeout" as soon as wasm runs again. */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static const char *const WAT =
    "(module\n"
    "  (import \"extism:host/user\" \"wait\" (func $wait))\n"
    "  (func (export \"spin\") (result i32)\n"
    "    (loop $l (call $wait) (br $l))\n"
    "    (i32.const 0))\n"
    "  (func (export \"once\") (result i32) (call $wait) (i32.const 0)))\n";

struct shared {
    atomic_int entered; /* the callback has started its blocking wait */
    atomic_int calls;
    atomic_int blocked_ms; /* how long the blocking wait lasted */
    const ExtismCancelHandle *cancel;
};

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The first call blocks for 300 ms; later calls return at once. */
static void wait_fn(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                    ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct shared *shared = data;
    (void)plugin, (void)inputs, (void)n_inputs, (void)outputs, (void)n_outputs;
    if (atomic_fetch_add(&shared->calls, 1) == 0) {
        double start = now_ms();
        atomic_store(&shared->entered, 1);
        sleep_ms(300);
        atomic_store(&shared->blocked_ms, (int)(now_ms() - start));
    }
}

static void *canceller(void *data) {
    struct shared *shared = data;
    while (!atomic_load(&shared->entered)) {
        sleep_ms(1);
    }
    sleep_ms(50);
    extism_plugin_cancel(shared->cancel);
    return NULL;
}

int main(void) {
    int failed = 0;
    struct shared shared = {0};
    pthread_t thread;
    bool started = false;
    ExtismFunction *wait = extism_function_new("wait", NULL, 0, NULL, 0, wait_fn, &shared, NULL);
    const ExtismFunction *functions[] = {wait};
    ExtismPlugin *plugin = plugin_from_text(WAT, functions, 1, false);
    double start, elapsed;
    int32_t rc;
    CHECK(plugin != NULL, "the spinning plugin did not load");
    shared.cancel = extism_plugin_cancel_handle(plugin);

    CHECK(pthread_create(&thread, NULL, canceller, &shared) == 0, "pthread_create failed");
    started = true;
    start = now_ms();
    rc = extism_plugin_call(plugin, "spin", NULL, 0);
    elapsed = now_ms() - start;
    CHECK(rc == 134, "spin returned %d (error: %s)", rc, text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "timeout");
    CHECK(atomic_load(&shared.blocked_ms) >= 290, "the blocked callback was cut short: %d ms",
          atomic_load(&shared.blocked_ms));
    CHECK(elapsed >= 290 && elapsed < 5000 * time_scale(), "the cancelled call took %.0f ms",
          elapsed);

    /* The cancel was consumed: the next call runs to completion. */
    rc = extism_plugin_call(plugin, "once", NULL, 0);
    CHECK(rc == 0, "once after the cancel returned %d (error: %s)", rc,
          text_or_null(extism_plugin_error(plugin)));

cleanup:
    if (started) {
        pthread_join(thread, NULL);
    }
    extism_plugin_free(plugin);
    extism_function_free(wait);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
