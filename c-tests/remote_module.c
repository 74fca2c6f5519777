/* Manifest modules fetched by URL (docs/abi.md 7.2): the right hash loads, a wrong one fails with
 * "Hash mismatch, found <actual> but expected <given>", and a URL that answers 404 fails with
 * an errmsg naming the URL. NOOP_WASM_SHA256 is computed by CMake from plugins/noop.wasm. */
#include "http_server.h"

#ifndef NOOP_WASM_SHA256
#error "NOOP_WASM_SHA256 must hold the lowercase hex SHA-256 of plugins/noop.wasm"
#endif

#define COMPILE_PREFIX "Unable to compile Extism plugin: "

int main(void) {
    int failed = 0;
    char url[256];
    char manifest[1024];
    char expected[1024];
    const char *wrong = "1111111111111111111111111111111111111111111111111111111111111111";
    char *errmsg = NULL;
    struct http_server server;
    ExtismPlugin *plugin = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    http_server_init(&server);
    CHECK(strlen(NOOP_WASM_SHA256) == 64, "CMake found no noop.wasm to hash");
    CHECK(http_server_start(&server), "the HTTP server did not start");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/plugin/noop.wasm", server.port);

    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"url\":\"%s\",\"hash\":\"%s\"}]}", url,
             NOOP_WASM_SHA256);
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "noop.wasm by URL with the right hash did not load");
    CHECK(extism_plugin_call(plugin, "run_i32", NULL, 0) == 0, "run_i32: %s",
          text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
    extism_plugin_free(plugin);
    plugin = NULL;

    /* Without a hash nothing is checked. allowed_hosts does not apply to module URLs. */
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"url\":\"%s\"}],\"allowed_hosts\":null}",
             url);
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "noop.wasm by URL without a hash did not load");
    CHECK(extism_plugin_call(plugin, "run_i32", NULL, 0) == 0, "run_i32: %s",
          text_or_null(extism_plugin_error(plugin)));
    extism_plugin_free(plugin);
    plugin = NULL;

    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"url\":\"%s\",\"hash\":\"%s\"}]}", url,
             wrong);
    snprintf(expected, sizeof expected, COMPILE_PREFIX "Hash mismatch, found %s but expected %s",
             NOOP_WASM_SHA256, wrong);
    errmsg = text_creation_error(manifest);
    CHECK_STR_EQ(errmsg, expected);
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/plugin/no-such-plugin.wasm", server.port);
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"url\":\"%s\"}]}", url);
    errmsg = text_creation_error(manifest);
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    CHECK_STR_CONTAINS(errmsg, url);

    /* The same through extism_compiled_plugin_new. */
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;
    compiled = extism_compiled_plugin_new((const uint8_t *)manifest, strlen(manifest), NULL, 0,
                                          false, &errmsg);
    CHECK(compiled == NULL, "a compiled plugin was made from a 404 URL");
    CHECK_STR_PREFIX(errmsg, COMPILE_PREFIX);
    CHECK_STR_CONTAINS(errmsg, url);

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_compiled_plugin_free(compiled);
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
