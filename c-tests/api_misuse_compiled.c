/* Misuse of the ExtismCompiledPlugin functions: zero lengths, non-wasm bytes, huge counts
 * beside a NULL array, a NULL errmsg on every failure path, link failures at
 * extism_plugin_new_from_compiled, freeing the compiled plugin first, and many plugins from one
 * compiled plugin (docs/abi.md 3.4, 3.5, 4.2). */
#include "api_misuse.h"

#define PLUGINS 8

static bool starts_with(const char *text, const char *prefix) {
    return text != NULL && strncmp(text, prefix, strlen(prefix)) == 0 &&
           strlen(text) > strlen(prefix);
}

int main(void) {
    int failed = 0;
    size_t i, len = 0, hello_len = 0;
    char *errmsg = NULL;
    uint8_t *wasm = NULL;
    uint8_t *hello = NULL;
    const ExtismFunction *no_functions[1] = {NULL};
    ExtismCompiledPlugin *compiled = NULL;
    ExtismCompiledPlugin *unlinked = NULL;
    ExtismPlugin *plugins[PLUGINS] = {NULL};
    ExtismPlugin *plugin = NULL;

    wasm = read_file(plugin_path("noop.wasm"), &len);
    CHECK(wasm != NULL, "cannot read noop.wasm");
    hello = read_file(plugin_path("host_fn_hello.wasm"), &hello_len);
    CHECK(hello != NULL, "cannot read host_fn_hello.wasm");

    /* A non-NULL pointer with length 0 is an empty manifest. */
    compiled = extism_compiled_plugin_new(wasm, 0, NULL, 0, false, &errmsg);
    CASE(compiled == NULL, "zero-length wasm compiled");
    CASE(errmsg != NULL &&
             strcmp(errmsg, COMPILE_PREFIX "No wasm files specified in Extism manifest") == 0,
         "zero-length wasm: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    compiled = extism_compiled_plugin_new_with_fuel_limit(wasm, 0, NULL, 0, false, 10, &errmsg);
    CASE(compiled == NULL, "zero-length wasm compiled with fuel");
    CASE(errmsg != NULL &&
             strcmp(errmsg, COMPILE_PREFIX "No wasm files specified in Extism manifest") == 0,
         "zero-length wasm with fuel: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);

    /* Non-UTF-8 bytes without the wasm magic are decoded as wasm, and fail. */
    compiled =
        extism_compiled_plugin_new((const uint8_t *)NOT_UTF8 "\xfe", 2, NULL, 0, false, &errmsg);
    CASE(compiled == NULL, "non-UTF-8 bytes compiled");
    CASE(starts_with(errmsg, COMPILE_PREFIX), "non-UTF-8 bytes: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);

    /* Every failure with a NULL errmsg pointer. */
    CASE(extism_compiled_plugin_new(wasm, 0, NULL, 0, false, NULL) == NULL,
         "zero-length wasm, no errmsg");
    CASE(extism_compiled_plugin_new_with_fuel_limit(wasm, 0, NULL, 0, false, 10, NULL) == NULL,
         "zero-length wasm with fuel, no errmsg");
    CASE(extism_compiled_plugin_new(NULL, 0, NULL, 0, false, NULL) == NULL, "NULL wasm, no errmsg");
    CASE(extism_compiled_plugin_new(wasm, len, no_functions, 1, false, NULL) == NULL,
         "a NULL function, no errmsg");
    CASE(extism_compiled_plugin_new_with_fuel_limit(wasm, len, no_functions, 1, false, 10, NULL) ==
             NULL,
         "a NULL function with fuel, no errmsg");

    /* A NULL element with fuel: the unprefixed message. */
    compiled =
        extism_compiled_plugin_new_with_fuel_limit(wasm, len, no_functions, 1, false, 10, &errmsg);
    CASE(compiled == NULL, "a NULL function compiled with fuel");
    CASE(errmsg != NULL && strcmp(errmsg, "Cannot pass null pointer") == 0,
         "a NULL function with fuel: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);

    /* A NULL array makes any count irrelevant, for both constructors. */
    compiled = extism_compiled_plugin_new(wasm, len, NULL, UINT64_MAX, false, &errmsg);
    CASE(compiled != NULL, "NULL functions with count UINT64_MAX: %s", text_or_null(errmsg));
    extism_compiled_plugin_free(compiled);
    compiled = extism_compiled_plugin_new_with_fuel_limit(wasm, len, NULL, UINT64_MAX, false,
                                                          UINT64_MAX, &errmsg);
    CASE(compiled != NULL, "NULL functions with count UINT64_MAX, fuel UINT64_MAX: %s",
         text_or_null(errmsg));

    /* new_from_compiled with a NULL errmsg succeeds, and the compiled plugin may go first. */
    for (i = 0; i < PLUGINS; i++) {
        plugins[i] = extism_plugin_new_from_compiled(compiled, NULL);
        CASE(plugins[i] != NULL, "plugin %zu from the compiled plugin", i);
    }
    extism_compiled_plugin_free(compiled);
    compiled = NULL;
    extism_compiled_plugin_free(NULL);
    for (i = 0; i < PLUGINS; i++) {
        CASE(extism_plugin_call(plugins[i], "run_i32", NULL, 0) == 0,
             "plugin %zu after its compiled plugin was freed: %s", i,
             text_or_null(extism_plugin_error(plugins[i])));
    }
    /* Freeing some plugins leaves the others working. */
    for (i = 0; i < PLUGINS; i += 2) {
        extism_plugin_free(plugins[i]);
        plugins[i] = NULL;
    }
    for (i = 1; i < PLUGINS; i += 2) {
        CASE(extism_plugin_call(plugins[i], "run", NULL, 0) == 0, "plugin %zu after siblings", i);
    }

    /* A missing import shows up at new_from_compiled, with or without errmsg. */
    unlinked = extism_compiled_plugin_new(hello, hello_len, NULL, 0, false, &errmsg);
    CASE(unlinked != NULL, "host_fn_hello.wasm did not compile: %s", text_or_null(errmsg));
    plugin = extism_plugin_new_from_compiled(unlinked, &errmsg);
    CASE(plugin == NULL, "a plugin with a missing import was created");
    CASE(starts_with(errmsg, CREATE_PREFIX), "missing import: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);
    CASE(extism_plugin_new_from_compiled(unlinked, NULL) == NULL, "missing import, no errmsg");
    /* The same failure again: the compiled plugin is not damaged by it. */
    plugin = extism_plugin_new_from_compiled(unlinked, &errmsg);
    CASE(plugin == NULL && starts_with(errmsg, CREATE_PREFIX), "second missing import: %s",
         text_or_null(errmsg));
    reset_errmsg(&errmsg);

    /* The fuel variant: a link failure has the create prefix, and the compile stage comes
     * first. */
    plugin = extism_plugin_new_with_fuel_limit(hello, hello_len, NULL, 0, false, 1000, &errmsg);
    CASE(plugin == NULL && starts_with(errmsg, CREATE_PREFIX), "link failure with fuel: errmsg %s",
         text_or_null(errmsg));
    reset_errmsg(&errmsg);
    plugin = extism_plugin_new_with_fuel_limit((const uint8_t *)"{\"wasm\":[]}", 11, NULL, 0, false,
                                               1000, &errmsg);
    CASE(plugin == NULL && starts_with(errmsg, COMPILE_PREFIX),
         "compile failure with fuel: errmsg %s", text_or_null(errmsg));
    reset_errmsg(&errmsg);

    report_cases("compiled-plugin");

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    for (i = 0; i < PLUGINS; i++) {
        extism_plugin_free(plugins[i]);
    }
    extism_compiled_plugin_free(unlinked);
    extism_compiled_plugin_free(compiled);
    free(hello);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
