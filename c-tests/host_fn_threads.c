/* Four threads, each with its own plugin made (on that thread) from one compiled plugin, call
 * a host function 10,000 times each. The callbacks share user data and may run concurrently. */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define THREADS 4
#define CALLS_PER_THREAD 10000

struct shared_data {
    atomic_long calls;
    atomic_int problems;
};

struct worker {
    int index;
    const ExtismCompiledPlugin *compiled;
    int failed;
};

/* Returns a new block with the argument's bytes in reverse order. */
static void reverse_block(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                          ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct shared_data *shared = data;
    ExtismMemoryHandle in = (ExtismMemoryHandle)inputs[0].v.i64;
    ExtismSize len = extism_current_plugin_memory_length(plugin, in);
    ExtismMemoryHandle out = extism_current_plugin_memory_alloc(plugin, len);
    uint8_t *base = extism_current_plugin_memory(plugin);
    ExtismSize i;
    (void)n_inputs;
    (void)n_outputs;

    atomic_fetch_add(&shared->calls, 1);
    if (out == 0 || base == NULL) {
        atomic_fetch_add(&shared->problems, 1);
        outputs[0].v.i64 = 0;
        return;
    }
    for (i = 0; i < len; i++) {
        base[out + i] = base[in + len - 1 - i];
    }
    outputs[0].v.i64 = (int64_t)out;
}

static void *run_worker(void *arg) {
    struct worker *worker = arg;
    int failed = 0;
    int i;
    size_t j, len;
    char input[64];
    char expected[64];
    char *errmsg = NULL;
    ExtismPlugin *plugin = extism_plugin_new_from_compiled(worker->compiled, &errmsg);
    CHECK(plugin != NULL, "thread %d: new_from_compiled failed: %s", worker->index,
          text_or_null(errmsg));

    for (i = 0; i < CALLS_PER_THREAD; i++) {
        len = (size_t)snprintf(input, sizeof input, "thread %d call %d", worker->index, i);
        for (j = 0; j < len; j++) {
            expected[j] = input[len - 1 - j];
        }
        expected[len] = '\0';
        CHECK(call_output_equals(plugin, "call_hello", (const uint8_t *)input, len,
                                 (const uint8_t *)expected, len),
              "thread %d, call %d", worker->index, i);
    }

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    worker->failed = failed;
    return NULL;
}

int main(void) {
    int failed = 0;
    int i, started = 0, joined = 0;
    const ExtismValType ptr = EXTISM_PTR;
    struct shared_data shared;
    struct worker workers[THREADS];
    pthread_t threads[THREADS];
    ExtismFunction *function = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    atomic_init(&shared.calls, 0);
    atomic_init(&shared.problems, 0);
    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, reverse_block, &shared, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    compiled =
        load_compiled_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(compiled != NULL, "host_fn_hello.wasm did not compile");

    for (i = 0; i < THREADS; i++) {
        workers[i].index = i;
        workers[i].compiled = compiled;
        workers[i].failed = 1;
        CHECK(pthread_create(&threads[i], NULL, run_worker, &workers[i]) == 0,
              "pthread_create failed");
        started++;
    }
    for (; joined < started; joined++) {
        pthread_join(threads[joined], NULL);
    }
    for (i = 0; i < THREADS; i++) {
        CHECK(!workers[i].failed, "thread %d failed", i);
    }
    CHECK(atomic_load(&shared.calls) == (long)THREADS * CALLS_PER_THREAD,
          "callback ran %ld times, expected %ld", atomic_load(&shared.calls),
          (long)THREADS * CALLS_PER_THREAD);
    CHECK(atomic_load(&shared.problems) == 0, "%d problems seen by the callback",
          atomic_load(&shared.problems));

cleanup:
    for (; joined < started; joined++) {
        pthread_join(threads[joined], NULL);
    }
    extism_compiled_plugin_free(compiled);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
