/* docs/abi.md D10: repeated error queries without an intervening call return the same pointer,
 * through extism_error and extism_plugin_error and from several threads, and the first pointer
 * stays readable (ASan reports a read of freed memory otherwise); the same holds for a var's
 * value from extism_plugin_var_get while other vars are asked for. */
#include <pthread.h>

#include "check.h"

#define QUERIES 3
#define EXPECTED_ERROR "Function not found: missing"

struct query_thread {
    ExtismPlugin *plugin;
    const char *seen[2 * QUERIES];
};

static void *query_errors(void *arg) {
    struct query_thread *thread = arg;
    for (int i = 0; i < QUERIES; i++) {
        thread->seen[2 * i] = extism_plugin_error(thread->plugin);
        thread->seen[2 * i + 1] = extism_error(thread->plugin);
    }
    return NULL;
}

int main(void) {
    int failed = 0;
    struct query_thread threads[2] = {{NULL, {NULL}}, {NULL, {NULL}}};
    pthread_t handles[2];
    const char *first = NULL;
    const uint8_t *alpha = NULL;
    ExtismSize len = 0;
    ExtismPlugin *plugin = load_plugin("noop.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "noop.wasm did not load");

    CHECK(extism_plugin_call(plugin, "missing", NULL, 0) == -1, "a missing export did not fail");
    first = extism_error(plugin);
    CHECK_STR_EQ(first, EXPECTED_ERROR);
    for (int t = 0; t < 2; t++) {
        threads[t].plugin = plugin;
        CHECK(pthread_create(&handles[t], NULL, query_errors, &threads[t]) == 0,
              "pthread_create failed");
    }
    for (int t = 0; t < 2; t++) {
        pthread_join(handles[t], NULL);
        for (int i = 0; i < 2 * QUERIES; i++) {
            CHECK(threads[t].seen[i] == first, "thread %d query %d returned another pointer", t, i);
        }
    }
    CHECK(extism_plugin_error(plugin) == first, "a later query returned another pointer");
    /* The first pointer still holds the text. */
    CHECK_STR_EQ(first, EXPECTED_ERROR);

    /* A successful call clears the error. */
    CHECK(extism_plugin_call(plugin, "run", NULL, 0) == 0, "run failed");
    CHECK(extism_plugin_error(plugin) == NULL, "the error outlived a successful call");

    /* A var's bytes stay valid while other vars are asked for. */
    CHECK(extism_plugin_var_set(plugin, "alpha", (const uint8_t *)"first value", 11),
          "var_set alpha failed");
    CHECK(extism_plugin_var_set(plugin, "beta", (const uint8_t *)"second", 6),
          "var_set beta failed");
    alpha = extism_plugin_var_get(plugin, "alpha", &len);
    CHECK(alpha != NULL && len == 11, "var_get alpha returned %llu bytes", (unsigned long long)len);
    CHECK(extism_plugin_var_get(plugin, "beta", &len) != NULL && len == 6, "var_get beta failed");
    CHECK(extism_plugin_var_get(plugin, "alpha", &len) == alpha,
          "asking again for an unchanged var returned another pointer");
    CHECK(memcmp(alpha, "first value", 11) == 0, "alpha's bytes changed");

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : 0;
}
