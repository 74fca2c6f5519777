/* Under an address-space limit (`ulimit -v`), plugin creation fails with an error that names
 * the limit as the cause and says what each plugin reserves, and an engine that could not
 * start is not kept:
 *   1. with the limit a few MiB above what the process uses, the first creation (which starts
 *      the engine) fails with an errmsg;
 *   2. with a 16 GiB limit, the next creation starts the engine (a start-up error is not kept
 *      for the life of the process); creating and calling more plugins fails after a few,
 *      the error naming `ulimit -v` and what a plugin reserves, and the plugins made and
 *      called before still work;
 *   3. with the limit lifted, creation works again;
 *   4. plugins made from a compiled plugin (the serving engine, docs/abi.md D15) with room for
 *      one plugin's two memories and some, from a thread and then from the main thread: each
 *      takes the memories the previous one gave back, so none runs out of address space
 *      (memories kept by a thread for itself would leave the other none).
 * Runs without sanitizers (AddressSanitizer's own mappings need an unlimited address space);
 * skipped under valgrind, which manages the address space itself. */
#include <pthread.h>
#include <sys/resource.h>

#include "check.h"

#define VOWELS_3 "{\"count\":3,\"total\":3,\"vowels\":\"aeiouAEIOU\"}"
#define VOWELS_1 "{\"count\":1,\"total\":4,\"vowels\":\"aeiouAEIOU\"}"

static int set_address_limit(rlim_t bytes) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_AS, &limit) != 0) {
        return -1;
    }
    limit.rlim_cur = bytes;
    return setrlimit(RLIMIT_AS, &limit);
}

#define SERVING_CYCLES 20

/* SERVING_CYCLES plugins from `compiled`, one at a time, each called once; returns NULL on
 * success, else the failure. */
static const char *serving_cycles(const ExtismCompiledPlugin *compiled) {
    for (int i = 0; i < SERVING_CYCLES; i++) {
        char *errmsg = NULL;
        ExtismPlugin *plugin = extism_plugin_new_from_compiled(compiled, &errmsg);
        if (plugin == NULL) {
            fprintf(stderr, "serving cycle %d: %s\n", i, text_or_null(errmsg));
            extism_plugin_new_error_free(errmsg);
            return "a plugin from the compiled plugin could not be made";
        }
        int32_t rc = extism_plugin_call(plugin, "count_vowels", (const uint8_t *)"aaa", 3);
        if (rc != 0) {
            fprintf(stderr, "serving cycle %d: %s\n", i, text_or_null(extism_plugin_error(plugin)));
        }
        extism_plugin_free(plugin);
        if (rc != 0) {
            return "a plugin from the compiled plugin failed its call";
        }
    }
    return NULL;
}

/* The thread of step 4: its cycles, then it stays alive (holding whatever it keeps for itself)
 * until the main thread has done its own. */
static pthread_barrier_t cycles_done;

static void *serving_thread(void *arg) {
    const char *failure = serving_cycles(arg);
    pthread_barrier_wait(&cycles_done);
    pthread_barrier_wait(&cycles_done);
    return (void *)failure;
}

int main(void) {
    int failed = 0;
    int i, made = 0, called = 0;
    const char *call_error = NULL;
    size_t len = 0;
    uint8_t *wasm = NULL;
    char *errmsg = NULL;
    ExtismPlugin *plugins[16] = {0};
    ExtismPlugin *plugin = NULL;
    ExtismCompiledPlugin *compiled = NULL;
    pthread_t thread;
    void *thread_failure = NULL;
    const char *valgrind = getenv("EXTISM_TEST_TIMEOUT_FACTOR");
    long used_kib;

    if (valgrind != NULL && atoi(valgrind) > 1) {
        printf("skipped under valgrind\n");
        return EXIT_SUCCESS;
    }
    CHECK(setenv("EXTISM_CACHE_CONFIG", "", 1) == 0, "setenv failed");
    wasm = read_file(plugin_path("count_vowels.wasm"), &len);
    CHECK(wasm != NULL, "count_vowels.wasm not readable");

    /* 1. No room to start an engine. */
    used_kib = status_field("/proc/self/status", "VmSize:");
    CHECK(used_kib > 0, "no VmSize in /proc/self/status");
    CHECK(set_address_limit((rlim_t)(used_kib + 4096) * 1024) == 0, "setrlimit failed");
    plugin = extism_plugin_new(wasm, len, NULL, 0, false, &errmsg);
    CHECK(plugin == NULL, "a plugin was created with 4 MiB of address space to spare");
    CHECK(errmsg != NULL, "no errmsg");
    printf("with 4 MiB to spare: %s\n", errmsg);
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    /* 2. The engine starts now; a few plugins fit (main is instantiated at the first call,
     * which reserves its memory then). */
    CHECK(set_address_limit((rlim_t)16 << 30) == 0, "setrlimit failed");
    for (i = 0; i < 16; i++) {
        plugins[i] = extism_plugin_new(wasm, len, NULL, 0, false, &errmsg);
        if (plugins[i] == NULL) {
            break;
        }
        made++;
        if (extism_plugin_call(plugins[i], "count_vowels", (const uint8_t *)"aaa", 3) != 0) {
            call_error = extism_plugin_error(plugins[i]);
            break;
        }
        called++;
    }
    CHECK(called > 0, "no plugin under a 16 GiB limit: %s", text_or_null(errmsg));
    CHECK(made < 16, "16 plugins fit in 16 GiB of address space");
    printf("under 16 GiB: %d plugins made, %d called, then: %s\n", made, called,
           text_or_null(call_error != NULL ? call_error : errmsg));
    CHECK_STR_CONTAINS(call_error != NULL ? call_error : errmsg, "ulimit -v` 16384 MiB");
    CHECK_STR_CONTAINS(call_error != NULL ? call_error : errmsg, "8 GiB of address space");
    for (i = 0; i < called; i++) {
        CHECK_CALL_OUTPUT(plugins[i], "count_vowels", "a", VOWELS_1);
    }

    /* 3. Lifted. */
    CHECK(set_address_limit(RLIM_INFINITY) == 0, "lifting the limit failed");
    plugin = extism_plugin_new(wasm, len, NULL, 0, false, NULL);
    CHECK(plugin != NULL, "creation after the limit was lifted failed");
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "aaa", VOWELS_3);

    /* 4. The serving engine, with room for two memories of 4 GiB and 4 GiB more. */
    for (i = 0; i < 16; i++) {
        extism_plugin_free(plugins[i]);
        plugins[i] = NULL;
    }
    compiled = extism_compiled_plugin_new(wasm, len, NULL, 0, false, &errmsg);
    CHECK(compiled != NULL, "compiling: %s", text_or_null(errmsg));
    used_kib = status_field("/proc/self/status", "VmSize:");
    CHECK(set_address_limit((rlim_t)used_kib * 1024 + ((rlim_t)12 << 30)) == 0, "setrlimit failed");
    CHECK(pthread_barrier_init(&cycles_done, NULL, 2) == 0, "pthread_barrier_init failed");
    CHECK(pthread_create(&thread, NULL, serving_thread, compiled) == 0, "pthread_create failed");
    pthread_barrier_wait(&cycles_done);
    call_error = serving_cycles(compiled);
    pthread_barrier_wait(&cycles_done);
    CHECK(pthread_join(thread, &thread_failure) == 0, "pthread_join failed");
    pthread_barrier_destroy(&cycles_done);
    CHECK(thread_failure == NULL, "in a thread: %s", (const char *)thread_failure);
    CHECK(call_error == NULL, "in the main thread, the other thread still alive: %s", call_error);
    printf("under a limit with room for one plugin: %d plugins from a compiled plugin in a "
           "thread, then %d in the main thread\n",
           SERVING_CYCLES, SERVING_CYCLES);

cleanup:
    set_address_limit(RLIM_INFINITY);
    for (i = 0; i < 16; i++) {
        extism_plugin_free(plugins[i]);
    }
    extism_plugin_free(plugin);
    extism_compiled_plugin_free(compiled);
    extism_plugin_new_error_free(errmsg);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
