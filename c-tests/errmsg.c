/* The errmsg out-parameter of the constructors: its prefix and cause, when it is written,
 * a NULL errmsg pointer, and extism_plugin_new_error_free. */
#include "check.h"

#define COMPILE_PREFIX "Unable to compile Extism plugin: "

int main(void) {
    int failed = 0;
    char manifest[4096];
    char expected[4096];
    static const uint8_t garbage[] = {0xff, 0x00};
    char untouched = 0;
    char *errmsg = NULL;
    char *compile_errmsg = NULL;
    ExtismPlugin *plugin = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    errmsg = text_creation_error("{\"wasm\": 5}");
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    extism_plugin_new_error_free(errmsg);

    errmsg = text_creation_error("{\"wasm\":[]}");
    CHECK_STR_EQ(errmsg, COMPILE_PREFIX "No wasm files specified in Extism manifest");
    extism_plugin_new_error_free(errmsg);

    /* Empty input is an empty TOML manifest. */
    errmsg = creation_error((const uint8_t *)"", 0);
    CHECK_STR_EQ(errmsg, COMPILE_PREFIX "No wasm files specified in Extism manifest");
    extism_plugin_new_error_free(errmsg);

    errmsg = text_creation_error("{\"wasm\":[{\"path\":\"x\"}],\"bogus\":1}");
    CHECK_STR_EQ(errmsg, COMPILE_PREFIX "Unknown manifest format");
    extism_plugin_new_error_free(errmsg);

    /* Config values must be strings. */
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}],\"config\":{\"a\":1}}",
             plugin_path("noop.wasm"));
    errmsg = text_creation_error(manifest);
    CHECK_STR_EQ(errmsg, COMPILE_PREFIX "Unknown manifest format");
    extism_plugin_new_error_free(errmsg);

    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}]}",
             plugin_path("does_not_exist.wasm"));
    snprintf(expected, sizeof expected, COMPILE_PREFIX "Unable to load Wasm file \"%s\"",
             plugin_path("does_not_exist.wasm"));
    errmsg = text_creation_error(manifest);
    CHECK_STR_PREFIX(errmsg, expected);
    extism_plugin_new_error_free(errmsg);

    /* Neither wasm, WAT nor UTF-8: a wasm decoding error. */
    errmsg = creation_error(garbage, sizeof garbage);
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    CHECK(strlen(errmsg) > strlen(COMPILE_PREFIX), "no cause after the prefix");
    extism_plugin_new_error_free(errmsg);

    /* The wasm magic with a broken body. */
    errmsg = creation_error((const uint8_t *)"\0asm\x01\0\0\0\x01", 9);
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    extism_plugin_new_error_free(errmsg);

    /* extism_plugin_new uses the compile prefix for link failures too. */
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}]}",
             plugin_path("host_fn_hello.wasm"));
    errmsg = text_creation_error(manifest);
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    CHECK_STR_CONTAINS(errmsg, "hello_world");
    extism_plugin_new_error_free(errmsg);

    /* extism_compiled_plugin_new uses the same prefix. */
    errmsg = NULL;
    compiled = extism_compiled_plugin_new((const uint8_t *)"{\"wasm\":[]}", 11, NULL, 0, false,
                                          &compile_errmsg);
    CHECK(compiled == NULL, "compiled an empty manifest");
    CHECK_STR_EQ(compile_errmsg, COMPILE_PREFIX "No wasm files specified in Extism manifest");

    /* A NULL errmsg pointer is allowed. */
    errmsg = NULL;
    plugin = extism_plugin_new((const uint8_t *)"{\"wasm\":[]}", 11, NULL, 0, false, NULL);
    CHECK(plugin == NULL, "an empty manifest made a plugin");
    plugin = extism_plugin_new(garbage, sizeof garbage, NULL, 0, false, NULL);
    CHECK(plugin == NULL, "garbage made a plugin");

    /* On success, *errmsg is not written. */
    errmsg = &untouched;
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}]}", plugin_path("noop.wasm"));
    plugin =
        extism_plugin_new((const uint8_t *)manifest, strlen(manifest), NULL, 0, false, &errmsg);
    CHECK(plugin != NULL, "noop.wasm manifest did not load");
    CHECK(errmsg == &untouched, "errmsg was written on success");
    errmsg = NULL;

cleanup:
    if (errmsg != &untouched) {
        extism_plugin_new_error_free(errmsg);
    }
    extism_plugin_new_error_free(compile_errmsg);
    extism_compiled_plugin_free(compiled);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
