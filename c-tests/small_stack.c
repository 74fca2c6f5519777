/* Plugins created and called on threads with small stacks: 128 KiB (musl's default), 256 KiB
 * and 512 KiB (macOS secondary threads), and on the main thread under a 512 KiB stack limit
 * (`ulimit -s 512`), all less than the 512 KiB wasm may use.
 * Compiling a plugin there works (the on-disk cache is off, so the first thread compiles every
 * module), unbounded guest recursion ends the call with rc 134 and "call stack exhausted"
 * instead of killing the process, the plugin keeps working, and a host function called by the
 * guest runs on the calling thread. */
#include <pthread.h>
#include <sys/resource.h>

#include "check.h"

struct worker {
    size_t stack_kib;
    pthread_t thread;
    pthread_t self; /* set by the thread itself */
    int callbacks;
    int callbacks_elsewhere;
    int failed;
};

/* Returns its argument, so the output of call_hello is its input; notes the thread it ran on. */
static void return_argument(ExtismCurrentPlugin *plugin, const ExtismVal *inputs,
                            ExtismSize n_inputs, ExtismVal *outputs, ExtismSize n_outputs,
                            void *data) {
    struct worker *worker = data;
    (void)plugin;
    (void)n_inputs;
    (void)n_outputs;
    worker->callbacks++;
    if (!pthread_equal(pthread_self(), worker->self)) {
        worker->callbacks_elsewhere++;
    }
    outputs[0].v.i64 = inputs[0].v.i64;
}

static void *run_worker(void *arg) {
    struct worker *worker = arg;
    int failed = 0;
    int round;
    int32_t rc;
    const ExtismValType ptr = EXTISM_PTR;
    ExtismFunction *function = NULL;
    ExtismPlugin *hello = NULL;
    ExtismPlugin *traps = NULL;
    worker->self = pthread_self();
    traps = load_plugin("traps.wasm", NULL, 0, false);
    CHECK(traps != NULL, "%zu KiB: traps.wasm did not load", worker->stack_kib);

    for (round = 0; round < 3; round++) {
        rc = extism_plugin_call(traps, "stack_overflow", NULL, 0);
        CHECK(rc == 134, "%zu KiB: stack_overflow returned %d", worker->stack_kib, (int)rc);
        CHECK_STR_PREFIX(extism_plugin_error(traps), "wasm trap: call stack exhausted");
        rc = extism_plugin_call(traps, "unreachable", NULL, 0);
        CHECK(rc == 134, "%zu KiB: unreachable returned %d", worker->stack_kib, (int)rc);
        CHECK_STR_PREFIX(extism_plugin_error(traps), "wasm trap: wasm `unreachable`");
    }

    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, return_argument, worker, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    hello = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(hello != NULL, "%zu KiB: host_fn_hello.wasm did not load", worker->stack_kib);
    CHECK_CALL_OUTPUT(hello, "call_hello", "on a small stack", "on a small stack");
    CHECK_CALL_OUTPUT(hello, "call_hello", "again", "again");
    CHECK(worker->callbacks == 2, "%zu KiB: the callback ran %d times", worker->stack_kib,
          worker->callbacks);
    CHECK(worker->callbacks_elsewhere == 0, "%zu KiB: %d callbacks ran on another thread",
          worker->stack_kib, worker->callbacks_elsewhere);

cleanup:
    extism_plugin_free(hello);
    extism_function_free(function);
    extism_plugin_free(traps);
    worker->failed = failed;
    return NULL;
}

int main(void) {
    int failed = 0;
    size_t i;
    static const size_t sizes_kib[] = {128, 256, 512};
    struct worker workers[3];
    struct worker main_thread = {.stack_kib = 512};
    struct rlimit limit;
    pthread_attr_t attr;
    int attr_ready = 0;

    CHECK(setenv("EXTISM_CACHE_CONFIG", "", 1) == 0, "setenv failed");
    /* The main thread first, with its stack limited before the library first looks at it. */
    CHECK(getrlimit(RLIMIT_STACK, &limit) == 0, "getrlimit failed");
    limit.rlim_cur = 512 * 1024;
    CHECK(setrlimit(RLIMIT_STACK, &limit) == 0, "setrlimit failed");
    run_worker(&main_thread);
    CHECK(!main_thread.failed, "the main thread with a 512 KiB stack limit failed");

    CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init failed");
    attr_ready = 1;
    for (i = 0; i < 3; i++) {
        workers[i].stack_kib = sizes_kib[i];
        workers[i].callbacks = 0;
        workers[i].callbacks_elsewhere = 0;
        workers[i].failed = 1;
        CHECK(pthread_attr_setstacksize(&attr, sizes_kib[i] * 1024) == 0,
              "pthread_attr_setstacksize(%zu KiB) failed", sizes_kib[i]);
        CHECK(pthread_create(&workers[i].thread, &attr, run_worker, &workers[i]) == 0,
              "pthread_create failed");
        pthread_join(workers[i].thread, NULL);
        CHECK(!workers[i].failed, "the thread with %zu KiB of stack failed", sizes_kib[i]);
    }

cleanup:
    if (attr_ready) {
        pthread_attr_destroy(&attr);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
