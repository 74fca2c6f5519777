/* extism_plugin_cancel from another thread stops a running call with rc 134 and "timeout";
 * an idle cancel changes nothing; the plugin keeps working (docs/abi.md 3.6, 8.1). */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"

struct canceller {
    const ExtismCancelHandle *handle;
    atomic_bool call_done;
    int refused;
};

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Cancels every 50 ms until the call is over, so a cancel handled before the call started
 * does not leave the call running forever. */
static void *cancel_until_done(void *arg) {
    struct canceller *canceller = arg;
    sleep_ms(100);
    while (!atomic_load(&canceller->call_done)) {
        if (!extism_plugin_cancel(canceller->handle)) {
            canceller->refused++;
        }
        sleep_ms(50);
    }
    return NULL;
}

int main(void) {
    int failed = 0;
    bool started = false;
    int32_t rc;
    double start, elapsed;
    pthread_t thread;
    struct canceller canceller;
    ExtismPlugin *plugin = NULL;

    canceller.handle = NULL;
    atomic_init(&canceller.call_done, false);
    canceller.refused = 0;

    plugin = load_plugin("traps.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "traps.wasm did not load");
    canceller.handle = extism_plugin_cancel_handle(plugin);
    CHECK(canceller.handle != NULL, "no cancel handle");
    CHECK(extism_plugin_cancel_handle(plugin) == canceller.handle,
          "the cancel handle changed between calls");

    /* An idle cancel is accepted and does not affect the next call. */
    CHECK(extism_plugin_cancel(canceller.handle), "idle cancel refused");
    CHECK(extism_plugin_call(plugin, "unreachable", NULL, 0) == 134, "unreachable");
    CHECK_STR_CONTAINS(extism_plugin_error(plugin), "unreachable");

    CHECK(pthread_create(&thread, NULL, cancel_until_done, &canceller) == 0,
          "pthread_create failed");
    started = true;
    start = now_seconds();
    rc = extism_plugin_call(plugin, "infinite_loop", NULL, 0);
    elapsed = now_seconds() - start;
    atomic_store(&canceller.call_done, true);
    pthread_join(thread, NULL);
    started = false;

    CHECK(rc == 134, "cancelled call returned %d (error: %s)", rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "timeout");
    CHECK(canceller.refused == 0, "%d cancel requests were refused", canceller.refused);
    CHECK(elapsed < 10.0 * time_scale(), "the cancel took %.1f s to land", elapsed);

    /* The plugin keeps working, and the cancel does not linger. */
    CHECK(extism_plugin_call(plugin, "div_zero", NULL, 0) == 134, "div_zero after cancel");
    CHECK_STR_CONTAINS(extism_plugin_error(plugin), "divide by zero");

cleanup:
    if (started) {
        atomic_store(&canceller.call_done, true);
        pthread_join(thread, NULL);
    }
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
