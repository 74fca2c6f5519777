/* allowed_hosts (docs/abi.md 7.3, 8.5 step 4): null, [] or a missing key deny every host with
 * "HTTP request to <url> is not allowed" and rc -1; globs match the host only. */
#include "http_server.h"

/* Expects `plugin` to refuse GET `url` with the "not allowed" error naming `url`. */
static bool check_denied(ExtismPlugin *plugin, const char *url) {
    int failed = 0;
    char request[1024];
    char expected[1024];
    int32_t rc;
    snprintf(request, sizeof request, "{\"url\":\"%s\"}", url);
    snprintf(expected, sizeof expected, "HTTP request to %s is not allowed", url);
    rc = http_fetch(plugin, request);
    CHECK(rc == -1, "GET %s returned %d (error: %s)", url, rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), expected);
cleanup:
    return !failed;
}

static bool check_allowed(ExtismPlugin *plugin, const char *url) {
    int failed = 0;
    char request[1024];
    snprintf(request, sizeof request, "{\"url\":\"%s\"}", url);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    char url[256];
    char manifest[4096];
    struct http_server server;
    ExtismPlugin *plugin = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hello", server.port);

    plugin = http_fetch_plugin("null", "");
    CHECK(plugin != NULL, "http_fetch.wasm with allowed_hosts null did not load");
    CHECK(check_denied(plugin, url), "allowed_hosts null");
    /* The plugin keeps working after the refusal, and keeps refusing. */
    CHECK(check_denied(plugin, url), "allowed_hosts null, again");
    extism_plugin_free(plugin);

    plugin = http_fetch_plugin("[]", "");
    CHECK(plugin != NULL, "http_fetch.wasm with allowed_hosts [] did not load");
    CHECK(check_denied(plugin, url), "allowed_hosts []");
    extism_plugin_free(plugin);

    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}]}",
             plugin_path("http_fetch.wasm"));
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "http_fetch.wasm without allowed_hosts did not load");
    CHECK(check_denied(plugin, url), "no allowed_hosts");
    extism_plugin_free(plugin);

    /* Raw wasm gets the default manifest, which allows no host. */
    plugin = load_plugin("http_fetch.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "http_fetch.wasm did not load");
    CHECK(check_denied(plugin, url), "raw wasm");
    extism_plugin_free(plugin);

    plugin = http_fetch_plugin("[\"127.0.0.*\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm with a glob did not load");
    CHECK(check_allowed(plugin, url), "allowed_hosts [\"127.0.0.*\"]");
    extism_plugin_free(plugin);

    plugin = http_fetch_plugin("[\"*\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm with \"*\" did not load");
    CHECK(check_allowed(plugin, url), "allowed_hosts [\"*\"]");
    extism_plugin_free(plugin);

    plugin = http_fetch_plugin("[\"*.example.com\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm with *.example.com did not load");
    CHECK(check_denied(plugin, url), "allowed_hosts [\"*.example.com\"]");
    extism_plugin_free(plugin);

    /* The port is not part of what the globs match. */
    plugin = http_fetch_plugin("[\"127.0.0.1:*\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm with a host:port glob did not load");
    CHECK(check_denied(plugin, url), "allowed_hosts [\"127.0.0.1:*\"]");

cleanup:
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
