/* Redirects (docs/abi.md 7.3, 8.5): every hop is checked against allowed_hosts, so a redirect to a
 * host that is not allowed is refused with the "not allowed" error, while a redirect on the
 * same host is followed. */
#include "http_server.h"

int main(void) {
    int failed = 0;
    int32_t rc;
    char request[1024];
    char denied_url[256];
    struct http_server server;
    ExtismPlugin *plugin = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");
    plugin = http_fetch_plugin("[\"127.0.0.1\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm did not load");

    /* /redirect-denied points at localhost, which the manifest does not allow. */
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/redirect-denied\"}",
             server.port);
    snprintf(denied_url, sizeof denied_url, "localhost:%d/hello", server.port);
    rc = http_fetch(plugin, request);
    CHECK(rc == -1, "redirect to a denied host returned %d (output %.*s, error %s)", rc,
          (int)extism_plugin_output_length(plugin), (const char *)extism_plugin_output_data(plugin),
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_PREFIX(extism_plugin_error(plugin), "HTTP request to ");
    CHECK_STR_CONTAINS(extism_plugin_error(plugin), " is not allowed");
    CHECK_STR_CONTAINS(extism_plugin_error(plugin), denied_url);

    /* /redirect-ok points at /hello on the same host. */
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/redirect-ok\"}", server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");

cleanup:
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
