/* extism_compiled_plugin_new and extism_plugin_new_from_compiled: independent plugins from one
 * compiled plugin, which may be freed first; link errors show up at new_from_compiled. */
#include "check.h"

#define CREATE_PREFIX "Unable to create Extism plugin: "
#define OUT(count, total) "{\"count\":" #count ",\"total\":" #total ",\"vowels\":\"aeiouAEIOU\"}"

int main(void) {
    int failed = 0;
    char *errmsg = NULL;
    ExtismCompiledPlugin *compiled = NULL;
    ExtismCompiledPlugin *unlinked = NULL;
    ExtismPlugin *plugins[3] = {NULL, NULL, NULL};
    ExtismPlugin *broken = NULL;
    size_t i;

    compiled = load_compiled_plugin("count_vowels.wasm", NULL, 0, false);
    CHECK(compiled != NULL, "count_vowels.wasm did not compile");
    for (i = 0; i < 3; i++) {
        plugins[i] = extism_plugin_new_from_compiled(compiled, &errmsg);
        CHECK(plugins[i] != NULL, "plugin %zu: %s", i, text_or_null(errmsg));
        CHECK(errmsg == NULL, "errmsg written on success");
    }

    /* Each plugin has its own vars: every total starts from 0. */
    CHECK_CALL_OUTPUT(plugins[0], "count_vowels", "Hello, World!", OUT(3, 3));
    CHECK_CALL_OUTPUT(plugins[1], "count_vowels", "Hello, World!", OUT(3, 3));
    CHECK_CALL_OUTPUT(plugins[0], "count_vowels", "Hello, World!", OUT(3, 6));
    CHECK_CALL_OUTPUT(plugins[0], "count_vowels", "aaaa", OUT(4, 10));
    CHECK_CALL_OUTPUT(plugins[1], "count_vowels", "ee", OUT(2, 5));

    /* Config is per plugin too. */
    CHECK(extism_plugin_config(plugins[1], (const uint8_t *)"{\"vowels\":\"l\"}", 14),
          "config refused");
    CHECK_CALL_OUTPUT(plugins[1], "count_vowels", "Hello",
                      "{\"count\":2,\"total\":7,\"vowels\":\"l\"}");
    CHECK_CALL_OUTPUT(plugins[2], "count_vowels", "Hello", OUT(2, 2));

    /* The compiled plugin may go first; its plugins stay valid. */
    extism_compiled_plugin_free(compiled);
    compiled = NULL;
    CHECK_CALL_OUTPUT(plugins[2], "count_vowels", "Hello, World!", OUT(3, 5));
    CHECK_CALL_OUTPUT(plugins[0], "count_vowels", "o", OUT(1, 11));
    extism_plugin_free(plugins[0]);
    plugins[0] = NULL;
    CHECK_CALL_OUTPUT(plugins[1], "count_vowels", "l",
                      "{\"count\":1,\"total\":8,\"vowels\":\"l\"}");

    /* Compiling does not link: a missing import is reported by new_from_compiled. */
    unlinked = load_compiled_plugin("host_fn.wasm", NULL, 0, false);
    CHECK(unlinked != NULL, "host_fn.wasm without functions did not compile");
    broken = extism_plugin_new_from_compiled(unlinked, &errmsg);
    CHECK(broken == NULL, "host_fn.wasm linked without its host functions");
    CHECK_STR_PREFIX(errmsg, CREATE_PREFIX);
    CHECK_STR_CONTAINS(errmsg, "unknown import");
    printf("missing import: %s\n", errmsg);

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(broken);
    for (i = 0; i < 3; i++) {
        extism_plugin_free(plugins[i]);
    }
    extism_compiled_plugin_free(unlinked);
    extism_compiled_plugin_free(compiled);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
