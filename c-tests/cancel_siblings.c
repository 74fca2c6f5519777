/* Cancellation is per plugin (docs/abi.md D4): cancelling one plugin made from a compiled plugin
 * does not stop a sibling's running call. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"

struct looping_call {
    ExtismPlugin *plugin;
    atomic_bool done;
    int32_t rc;
    char *error;
};

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *run_loop(void *arg) {
    struct looping_call *call = arg;
    call->rc = extism_plugin_call(call->plugin, "infinite_loop", NULL, 0);
    call->error = error_copy(call->plugin);
    atomic_store(&call->done, true);
    return NULL;
}

/* Cancels `call` every 50 ms until it returns, for at most about 10 s. */
static bool cancel_until_done(struct looping_call *call) {
    const ExtismCancelHandle *handle = extism_plugin_cancel_handle(call->plugin);
    int i;
    for (i = 0; i < 200 && !atomic_load(&call->done); i++) {
        extism_plugin_cancel(handle);
        sleep_ms(50);
    }
    return atomic_load(&call->done);
}

int main(void) {
    int failed = 0;
    int i, started = 0, joined = 0;
    pthread_t threads[2];
    struct looping_call calls[2];
    ExtismCompiledPlugin *compiled = NULL;

    for (i = 0; i < 2; i++) {
        calls[i].plugin = NULL;
        atomic_init(&calls[i].done, false);
        calls[i].rc = 0;
        calls[i].error = NULL;
    }
    compiled = load_compiled_plugin("traps.wasm", NULL, 0, false);
    CHECK(compiled != NULL, "traps.wasm did not compile");
    for (i = 0; i < 2; i++) {
        calls[i].plugin = extism_plugin_new_from_compiled(compiled, NULL);
        CHECK(calls[i].plugin != NULL, "new_from_compiled failed");
    }
    for (i = 0; i < 2; i++) {
        CHECK(pthread_create(&threads[i], NULL, run_loop, &calls[i]) == 0, "pthread_create failed");
        started++;
    }
    sleep_ms(200);

    CHECK(cancel_until_done(&calls[0]), "the first call was not cancelled");
    sleep_ms(500);
    CHECK(!atomic_load(&calls[1].done), "cancelling one plugin stopped its sibling (rc %d)",
          calls[1].rc);
    CHECK(cancel_until_done(&calls[1]), "the second call was not cancelled");

    for (; joined < started; joined++) {
        pthread_join(threads[joined], NULL);
    }
    for (i = 0; i < 2; i++) {
        CHECK(calls[i].rc == 134, "call %d returned %d", i, calls[i].rc);
        CHECK_STR_EQ(calls[i].error, "timeout");
    }

cleanup:
    /* Never leave a thread looping: cancel whatever still runs before joining. */
    for (i = 0; i < started; i++) {
        cancel_until_done(&calls[i]);
    }
    for (; joined < started; joined++) {
        pthread_join(threads[joined], NULL);
    }
    for (i = 0; i < 2; i++) {
        free(calls[i].error);
        extism_plugin_free(calls[i].plugin);
    }
    extism_compiled_plugin_free(compiled);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
