/* User callbacks run on the calling thread's own stack, whatever stack the guest runs on.
 * Language runtimes (the JVM, Ruby) check that their code runs inside their thread's stack, so
 * a host function or log callback run on a stack the library keeps for small threads would
 * fail there. On threads of 128 KiB, 256 KiB and 1 MiB (all with less room than a call needs,
 * so guests run on a kept stack), and on a thread with the default stack:
 *   - a host function and a per-plugin log callback find their stack pointer inside the
 *     thread's stack (pthread_getattr_np) and can use 24 KiB of it;
 *   - a host function that calls a second plugin (whose guest logs) sees that plugin's log
 *     callback on the thread's stack too, and both calls return the right output;
 *   - guest recursion on the same thread still ends in a trap, not a crash. */
#define _GNU_SOURCE
#include <pthread.h>

#include "check.h"

struct worker {
    size_t stack_kib; /* 0: the default stack size */
    uintptr_t low, high;
    int callbacks;
    int outside;          /* callbacks whose stack pointer was outside [low, high) */
    ExtismPlugin *logger; /* called from the host function when set */
    int nested_failed;
    int failed;
};

/* Uses `size` bytes of stack and returns an address inside the current frame. */
static uintptr_t __attribute__((noinline)) use_stack(size_t size) {
    volatile unsigned char block[24 * 1024];
    size_t i;
    for (i = 0; i < size && i < sizeof block; i += 512) {
        block[i] = (unsigned char)i;
    }
    return (uintptr_t)&block[0];
}

static void note_stack(struct worker *worker) {
    unsigned char here;
    uintptr_t sp = (uintptr_t)&here;
    uintptr_t deep = use_stack(24 * 1024);
    worker->callbacks++;
    if (sp < worker->low || sp >= worker->high || deep < worker->low || deep >= worker->high) {
        worker->outside++;
        fprintf(stderr, "callback at %#lx (deep %#lx), thread stack %#lx-%#lx\n", (unsigned long)sp,
                (unsigned long)deep, (unsigned long)worker->low, (unsigned long)worker->high);
    }
}

static void on_log(int32_t level, const char *message, ExtismSize len, void *data) {
    (void)level;
    (void)message;
    (void)len;
    note_stack(data);
}

/* Returns its argument; with a second plugin set, calls its log_all first. */
static void return_argument(ExtismCurrentPlugin *plugin, const ExtismVal *inputs,
                            ExtismSize n_inputs, ExtismVal *outputs, ExtismSize n_outputs,
                            void *data) {
    struct worker *worker = data;
    (void)plugin;
    (void)n_inputs;
    (void)n_outputs;
    note_stack(worker);
    if (worker->logger != NULL &&
        extism_plugin_call(worker->logger, "log_all", NULL, 0) != EXTISM_SUCCESS) {
        worker->nested_failed++;
    }
    outputs[0].v.i64 = inputs[0].v.i64;
}

static void *run_worker(void *arg) {
    struct worker *worker = arg;
    int failed = 0;
    int32_t rc;
    const ExtismValType ptr = EXTISM_PTR;
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    ExtismFunction *function = NULL;
    ExtismPlugin *hello = NULL;
    ExtismPlugin *logger = NULL;
    ExtismPlugin *traps = NULL;

    CHECK(pthread_getattr_np(pthread_self(), &attr) == 0, "pthread_getattr_np failed");
    rc = pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    CHECK(rc == 0, "pthread_attr_getstack failed");
    worker->low = (uintptr_t)addr;
    worker->high = (uintptr_t)addr + size;

    /* A log callback called by the guest's own log_* calls. */
    logger = load_plugin("log.wasm", NULL, 0, false);
    CHECK(logger != NULL, "%zu KiB: log.wasm did not load", worker->stack_kib);
    CHECK(extism_plugin_set_log_callback(logger, on_log, 0, worker), "set_log_callback failed");
    rc = extism_plugin_call(logger, "log_all", NULL, 0);
    CHECK(rc == EXTISM_SUCCESS, "%zu KiB: log_all returned %d", worker->stack_kib, (int)rc);
    CHECK(worker->callbacks == 5, "%zu KiB: the log callback ran %d times, not 5",
          worker->stack_kib, worker->callbacks);

    /* A host function, alone, then calling the logging plugin from inside. */
    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, return_argument, worker, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    hello = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(hello != NULL, "%zu KiB: host_fn_hello.wasm did not load", worker->stack_kib);
    CHECK_CALL_OUTPUT(hello, "call_hello", "own stack", "own stack");
    CHECK(worker->callbacks == 6, "%zu KiB: the host function ran %d times in all, not 6",
          worker->stack_kib, worker->callbacks);
    worker->logger = logger;
    CHECK_CALL_OUTPUT(hello, "call_hello", "nested", "nested");
    worker->logger = NULL;
    CHECK(worker->nested_failed == 0, "%zu KiB: the nested call failed", worker->stack_kib);
    CHECK(worker->callbacks == 12, "%zu KiB: %d callbacks in all, not 12", worker->stack_kib,
          worker->callbacks);
    CHECK(worker->outside == 0, "%zu KiB: %d of %d callbacks ran outside the thread's stack",
          worker->stack_kib, worker->outside, worker->callbacks);

    /* The guarantee the kept stack is for still holds on this thread. */
    traps = load_plugin("traps.wasm", NULL, 0, false);
    CHECK(traps != NULL, "%zu KiB: traps.wasm did not load", worker->stack_kib);
    rc = extism_plugin_call(traps, "stack_overflow", NULL, 0);
    CHECK(rc == 134, "%zu KiB: stack_overflow returned %d", worker->stack_kib, (int)rc);
    CHECK_STR_PREFIX(extism_plugin_error(traps), "wasm trap: call stack exhausted");
    CHECK_CALL_OUTPUT(hello, "call_hello", "after", "after");

cleanup:
    extism_plugin_free(traps);
    extism_plugin_free(hello);
    extism_plugin_free(logger);
    extism_function_free(function);
    worker->failed = failed;
    return NULL;
}

int main(void) {
    int failed = 0;
    size_t i;
    static const size_t sizes_kib[] = {128, 256, 1024, 0};
    struct worker worker;
    pthread_t thread;
    pthread_attr_t attr;

    for (i = 0; i < sizeof sizes_kib / sizeof sizes_kib[0]; i++) {
        memset(&worker, 0, sizeof worker);
        worker.stack_kib = sizes_kib[i];
        worker.failed = 1;
        CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init failed");
        if (sizes_kib[i] != 0 && pthread_attr_setstacksize(&attr, sizes_kib[i] * 1024) != 0) {
            pthread_attr_destroy(&attr);
            CHECK(0, "pthread_attr_setstacksize(%zu KiB) failed", sizes_kib[i]);
        }
        CHECK(pthread_create(&thread, &attr, run_worker, &worker) == 0, "pthread_create failed");
        pthread_attr_destroy(&attr);
        pthread_join(thread, NULL);
        CHECK(!worker.failed, "the thread with %zu KiB of stack failed", sizes_kib[i]);
    }

cleanup:
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
