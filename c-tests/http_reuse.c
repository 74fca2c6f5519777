/* Reuse only under pressure (docs/abi.md 5.4) for http_request: the runtime takes the request
 * block, and a guest that frees it again afterwards must not free the response body. */
#include "http_server.h"

#define MANIFEST_FORMAT                                                                            \
    "{\"wasm\": [{\"path\": \"" PLUGINS_DIR "reuse.wasm\"}], \"allowed_hosts\": [\"127.0.0.1\"]}"

int main(void) {
    int failed = 0;
    char request[256];
    struct http_server server;
    ExtismPlugin *plugin = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");
    plugin = plugin_from_text(MANIFEST_FORMAT, NULL, 0, false);
    CHECK(plugin != NULL, "reuse.wasm did not load");

    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/hello\"}", server.port);
    CHECK_CALL_OUTPUT(plugin, "http_twice", request, "hello");
    CHECK_CALL_OUTPUT(plugin, "http_twice", request, "hello");

cleanup:
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
