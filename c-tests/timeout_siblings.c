/* Timeouts are per plugin (docs/abi.md 8.1, D4): two compiled plugins made from the same wasm
 * bytes, with timeouts of 100 ms and 2000 ms, loop in two threads; the first times out while
 * the second keeps running until its own limit. Under a slow launcher (time_scale() > 1) the
 * longer timeout and the upper bounds grow by the scale, so the order of the two still holds. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"

struct looping_call {
    ExtismPlugin *plugin;
    atomic_bool done;
    int32_t rc;
    double elapsed;
    char *error;
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run_loop(void *arg) {
    struct looping_call *call = arg;
    double start = now_seconds();
    call->rc = extism_plugin_call(call->plugin, "infinite_loop", NULL, 0);
    call->elapsed = now_seconds() - start;
    call->error = error_copy(call->plugin);
    atomic_store(&call->done, true);
    return NULL;
}

/* Compiles the wasm bytes at `wasm` (given to the manifest by pointer) with `timeout_ms`. */
static ExtismCompiledPlugin *compile_with_timeout(const uint8_t *wasm, size_t len,
                                                  unsigned timeout_ms) {
    char manifest[512];
    char *errmsg = NULL;
    ExtismCompiledPlugin *compiled;
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"data\":{\"ptr\":%llu,\"len\":%llu}}],\"timeout_ms\":%u}",
             (unsigned long long)(uintptr_t)wasm, (unsigned long long)len, timeout_ms);
    compiled = extism_compiled_plugin_new((const uint8_t *)manifest, strlen(manifest), NULL, 0,
                                          false, &errmsg);
    if (compiled == NULL) {
        fprintf(stderr, "cannot compile traps.wasm with timeout_ms %u: %s\n", timeout_ms,
                text_or_null(errmsg));
        extism_plugin_new_error_free(errmsg);
    }
    return compiled;
}

int main(void) {
    int failed = 0;
    int i, started = 0, joined = 0;
    bool second_running;
    size_t len = 0;
    uint8_t *wasm = NULL;
    char *errmsg = NULL;
    const double scale = time_scale();
    const unsigned timeouts[2] = {100, (unsigned)(2000 * scale)};
    pthread_t threads[2];
    struct looping_call calls[2];
    ExtismCompiledPlugin *compiled[2] = {NULL, NULL};

    for (i = 0; i < 2; i++) {
        calls[i].plugin = NULL;
        atomic_init(&calls[i].done, false);
        calls[i].rc = 0;
        calls[i].elapsed = 0;
        calls[i].error = NULL;
    }
    wasm = read_file(plugin_path("traps.wasm"), &len);
    CHECK(wasm != NULL, "cannot read traps.wasm");
    for (i = 0; i < 2; i++) {
        compiled[i] = compile_with_timeout(wasm, len, timeouts[i]);
        CHECK(compiled[i] != NULL, "compiling with timeout_ms %u failed", timeouts[i]);
        calls[i].plugin = extism_plugin_new_from_compiled(compiled[i], &errmsg);
        CHECK(calls[i].plugin != NULL, "new_from_compiled failed: %s", text_or_null(errmsg));
    }

    for (i = 0; i < 2; i++) {
        CHECK(pthread_create(&threads[i], NULL, run_loop, &calls[i]) == 0, "pthread_create failed");
        started++;
    }

    /* The 100 ms plugin stops on its own... */
    pthread_join(threads[0], NULL);
    joined = 1;
    second_running = !atomic_load(&calls[1].done);
    CHECK(calls[0].rc == 134, "the 100 ms call returned %d (error: %s)", calls[0].rc,
          text_or_null(calls[0].error));
    CHECK_STR_EQ(calls[0].error, "timeout");
    CHECK(calls[0].elapsed < 1.0 * scale, "the 100 ms call took %.3f s", calls[0].elapsed);
    /* ...while the 2000 ms plugin is still running. */
    CHECK(second_running, "the %u ms call ended with the 100 ms one (rc %d after %.3f s)",
          timeouts[1], calls[1].rc, calls[1].elapsed);

    pthread_join(threads[1], NULL);
    joined = 2;
    CHECK(calls[1].rc == 134, "the %u ms call returned %d (error: %s)", timeouts[1], calls[1].rc,
          text_or_null(calls[1].error));
    CHECK_STR_EQ(calls[1].error, "timeout");
    CHECK(calls[1].elapsed >= 0.75 * timeouts[1] / 1000, "the %u ms call stopped after %.3f s",
          timeouts[1], calls[1].elapsed);
    CHECK(calls[1].elapsed < 30.0 * scale, "the %u ms call stopped only after %.1f s", timeouts[1],
          calls[1].elapsed);
    printf("100 ms plugin: %.3f s; %u ms plugin: %.3f s\n", calls[0].elapsed, timeouts[1],
           calls[1].elapsed);

cleanup:
    /* The calls end on their own through their timeouts; wait for them. */
    for (; joined < started; joined++) {
        pthread_join(threads[joined], NULL);
    }
    for (i = 0; i < 2; i++) {
        free(calls[i].error);
        extism_plugin_free(calls[i].plugin);
        extism_compiled_plugin_free(compiled[i]);
    }
    extism_plugin_new_error_free(errmsg);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
