/* Any HTTP status is a normal response (docs/abi.md 8.5 step 7): a 404 returns its body and its
 * status, and the call succeeds with rc 0. */
#include "http_server.h"

int main(void) {
    int failed = 0;
    char request[1024];
    struct http_server server;
    ExtismPlugin *plugin = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");
    plugin = http_fetch_plugin("[\"127.0.0.1\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm did not load");

    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/missing\"}", server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":404,\"body\":\"nope\"}");
    snprintf(request, sizeof request,
             "{\"url\":\"http://127.0.0.1:%d/missing\",\"method\":\"POST\",\"body\":\"x\"}",
             server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":404,\"body\":\"nope\"}");

    /* The status of each request is its own. */
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/hello\"}", server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/unknown\"}", server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":404,\"body\":\"not found\"}");

cleanup:
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
