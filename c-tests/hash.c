/* The manifest `hash` field: the right SHA-256 loads, any other fails with
 * "Hash mismatch, found <actual> but expected <given>". NOOP_WASM_SHA256 is computed by CMake
 * from plugins/noop.wasm. */
#include "check.h"

#ifndef NOOP_WASM_SHA256
#error "NOOP_WASM_SHA256 must hold the lowercase hex SHA-256 of plugins/noop.wasm"
#endif

#define COMPILE_PREFIX "Unable to compile Extism plugin: "

int main(void) {
    int failed = 0;
    char manifest[4096];
    char expected[4096];
    char upper[65];
    const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    size_t i, len = 0;
    uint8_t *wasm = NULL;
    char *errmsg = NULL;
    ExtismPlugin *plugin = NULL;

    CHECK(strlen(NOOP_WASM_SHA256) == 64, "CMake found no noop.wasm to hash");

    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\",\"hash\":\"%s\"}]}",
             plugin_path("noop.wasm"), NOOP_WASM_SHA256);
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "the right hash was refused");
    CHECK(extism_plugin_call(plugin, "run_i32", NULL, 0) == 0, "run_i32 failed");
    extism_plugin_free(plugin);
    plugin = NULL;

    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\",\"hash\":\"%s\"}]}",
             plugin_path("noop.wasm"), wrong);
    snprintf(expected, sizeof expected, COMPILE_PREFIX "Hash mismatch, found %s but expected %s",
             NOOP_WASM_SHA256, wrong);
    errmsg = text_creation_error(manifest);
    CHECK_STR_EQ(errmsg, expected);
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    /* The comparison is exact, so uppercase hex does not match. */
    for (i = 0; i < 64; i++) {
        upper[i] = (char)toupper((unsigned char)NOOP_WASM_SHA256[i]);
    }
    upper[64] = '\0';
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\",\"hash\":\"%s\"}]}",
             plugin_path("noop.wasm"), upper);
    snprintf(expected, sizeof expected, COMPILE_PREFIX "Hash mismatch, found %s but expected %s",
             NOOP_WASM_SHA256, upper);
    errmsg = text_creation_error(manifest);
    CHECK_STR_EQ(errmsg, expected);
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    /* The hash is checked for data given by pointer too. */
    wasm = read_file(plugin_path("noop.wasm"), &len);
    CHECK(wasm != NULL, "cannot read noop.wasm");
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"data\":{\"ptr\":%llu,\"len\":%llu},\"hash\":\"%s\"}]}",
             (unsigned long long)(uintptr_t)wasm, (unsigned long long)len, NOOP_WASM_SHA256);
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "the right hash of pointer data was refused");
    CHECK(extism_plugin_call(plugin, "run", NULL, 0) == 0, "run failed");

    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"data\":{\"ptr\":%llu,\"len\":%llu},\"hash\":\"%s\"}]}",
             (unsigned long long)(uintptr_t)wasm, (unsigned long long)len, wrong);
    snprintf(expected, sizeof expected, COMPILE_PREFIX "Hash mismatch, found %s but expected %s",
             NOOP_WASM_SHA256, wrong);
    errmsg = text_creation_error(manifest);
    CHECK_STR_EQ(errmsg, expected);

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
