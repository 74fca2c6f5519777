/* http_request against a loopback server (docs/abi.md 8.5): a GET returns the status and body; a
 * POST sends its method (upper-cased), request headers and body. */
#include "http_server.h"

int main(void) {
    int failed = 0;
    char request[1024];
    char *output = NULL;
    struct http_server server;
    ExtismPlugin *plugin = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");
    plugin = http_fetch_plugin("[\"127.0.0.1\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm did not load");

    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/hello\"}", server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");
    /* The same request again: nothing is left over from the first. */
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/hello\",\"method\":\"GET\"}",
             server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");

    /* The POST's body comes back as the response body. */
    snprintf(request, sizeof request,
             "{\"url\":\"http://127.0.0.1:%d/echo\",\"method\":\"POST\","
             "\"body\":\"ping \\\"quoted\\\" body\",\"headers\":{\"X-Req\":\"abc 123\"}}",
             server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request,
                      "{\"status\":200,\"body\":\"ping \\\"quoted\\\" body\"}");

    /* The request header and the method are echoed as response headers, seen with the
     * header opt-in; a lower-case method is sent upper-cased. */
    extism_plugin_allow_http_response_headers(plugin);
    snprintf(request, sizeof request,
             "{\"url\":\"http://127.0.0.1:%d/echo\",\"method\":\"post\","
             "\"body\":\"second body\",\"headers\":{\"X-Req\":\"abc 123\"}}",
             server.port);
    CHECK(http_fetch(plugin, request) == 0, "POST with headers: %s",
          text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
    output = output_string(plugin);
    CHECK(output != NULL, "out of memory");
    CHECK_STR_PREFIX(output, "{\"status\":200,\"body\":\"second body\",\"headers\":{");
    CHECK(strstr(output, "\"x-req\":\"abc 123\"") != NULL, "X-Req was not echoed: %s", output);
    CHECK(strstr(output, "\"x-method\":\"POST\"") != NULL, "the method was not POST: %s", output);

cleanup:
    free(output);
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
