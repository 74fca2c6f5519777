/* Response headers are opt-in (docs/abi.md 3.5, 8.5 step 10): without
 * extism_plugin_allow_http_response_headers http_headers returns 0; with it, a JSON object
 * with lower-case header names. */
#include "http_server.h"

int main(void) {
    int failed = 0;
    char request[256];
    char *output = NULL;
    const char *headers;
    struct http_server server;
    ExtismPlugin *plugin = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");
    plugin = http_fetch_plugin("[\"127.0.0.1\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm did not load");
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/hello\"}", server.port);

    /* Without the opt-in the plugin sees no headers, so its output has no "headers" member. */
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");

    extism_plugin_allow_http_response_headers(plugin);
    CHECK(http_fetch(plugin, request) == 0, "GET /hello with headers: %s",
          text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
    output = output_string(plugin);
    CHECK(output != NULL, "out of memory");
    printf("output with headers: %s\n", output);
    CHECK_STR_PREFIX(output, "{\"status\":200,\"body\":\"hello\",\"headers\":{");
    headers = output + strlen("{\"status\":200,\"body\":\"hello\",\"headers\":");
    CHECK(strstr(headers, "\"x-test\":\"yes\"") != NULL, "no \"x-test\":\"yes\" in %s", headers);
    CHECK(strstr(headers, "\"content-length\":\"5\"") != NULL, "no \"content-length\":\"5\" in %s",
          headers);
    CHECK(strstr(headers, "X-Test") == NULL && strstr(headers, "Content-Length") == NULL,
          "header names are not lower-case: %s", headers);
    free(output);
    output = NULL;

    /* The opt-in stays on for later calls, and each request has its own headers. */
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/missing\"}", server.port);
    CHECK(http_fetch(plugin, request) == 0, "GET /missing with headers: %s",
          text_or_null(extism_plugin_error(plugin)));
    output = output_string(plugin);
    CHECK(output != NULL, "out of memory");
    CHECK_STR_PREFIX(output, "{\"status\":404,\"body\":\"nope\",\"headers\":{");
    CHECK(strstr(output, "x-test") == NULL, "a header of the previous response is left: %s",
          output);
    CHECK(strstr(output, "\"content-length\":\"4\"") != NULL, "no \"content-length\":\"4\" in %s",
          output);

cleanup:
    free(output);
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
