/* memory.max_http_response_bytes (docs/abi.md 7.1, 8.5 step 8): a body of exactly the limit is
 * returned; one byte more fails the call with rc -1 and "HTTP response exceeds the configured
 * maximum number of bytes: <max>". */
#include "http_server.h"

static ExtismPlugin *plugin_with_limit(unsigned long limit) {
    char extra[128];
    snprintf(extra, sizeof extra, "\"memory\":{\"max_http_response_bytes\":%lu}", limit);
    return http_fetch_plugin("[\"127.0.0.1\"]", extra);
}

/* GET /big?n=<n> must return n bytes of 'a'. */
static bool check_body_fits(ExtismPlugin *plugin, int port, unsigned long n) {
    int failed = 0;
    char request[256];
    const char *prefix = "{\"status\":200,\"body\":\"";
    size_t prefix_len = strlen(prefix);
    char *expected = malloc(prefix_len + n + 3);
    CHECK(expected != NULL, "out of memory");
    memcpy(expected, prefix, prefix_len);
    memset(expected + prefix_len, 'a', n);
    memcpy(expected + prefix_len + n, "\"}", 3);
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/big?n=%lu\"}", port, n);
    CHECK(call_output_equals(plugin, "fetch", (const uint8_t *)request, strlen(request),
                             (const uint8_t *)expected, strlen(expected)),
          "a body of %lu bytes", n);
cleanup:
    free(expected);
    return !failed;
}

/* GET /big?n=<n> must fail because the body exceeds `limit`. */
static bool check_body_too_big(ExtismPlugin *plugin, int port, unsigned long n,
                               unsigned long limit) {
    int failed = 0;
    char request[256];
    char expected[256];
    int32_t rc;
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/big?n=%lu\"}", port, n);
    snprintf(expected, sizeof expected,
             "HTTP response exceeds the configured maximum number of bytes: %lu", limit);
    rc = http_fetch(plugin, request);
    CHECK(rc == -1, "a body of %lu bytes under a limit of %lu returned %d (error: %s)", n, limit,
          rc, text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), expected);
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    struct http_server server;
    ExtismPlugin *plugin = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");

    plugin = plugin_with_limit(1000);
    CHECK(plugin != NULL, "http_fetch.wasm with a 1000-byte limit did not load");
    CHECK(check_body_fits(plugin, server.port, 999), "999 bytes under 1000");
    CHECK(check_body_fits(plugin, server.port, 1000), "1000 bytes under 1000");
    CHECK(check_body_too_big(plugin, server.port, 1001, 1000), "1001 bytes under 1000");
    CHECK(check_body_too_big(plugin, server.port, 100000, 1000), "100000 bytes under 1000");
    /* The plugin keeps working. */
    CHECK(check_body_fits(plugin, server.port, 1000), "1000 bytes after a refusal");
    extism_plugin_free(plugin);

    /* A limit that is a multiple of common buffer sizes. (http_fetch.wasm builds its output
     * one character at a time, so bodies stay small to keep it quick.) */
    plugin = plugin_with_limit(8192);
    CHECK(plugin != NULL, "http_fetch.wasm with an 8192-byte limit did not load");
    CHECK(check_body_fits(plugin, server.port, 8192), "8192 bytes under 8192");
    CHECK(check_body_too_big(plugin, server.port, 8193, 8192), "8193 bytes under 8192");
    extism_plugin_free(plugin);

    /* A limit of 0 still allows an empty body. */
    plugin = plugin_with_limit(0);
    CHECK(plugin != NULL, "http_fetch.wasm with a 0-byte limit did not load");
    CHECK(check_body_fits(plugin, server.port, 0), "0 bytes under 0");
    CHECK(check_body_too_big(plugin, server.port, 1, 0), "1 byte under 0");
    extism_plugin_free(plugin);

    /* The default limit (50 MiB) is far above a small body. */
    plugin = http_fetch_plugin("[\"127.0.0.1\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm did not load");
    CHECK(check_body_fits(plugin, server.port, 4096), "4096 bytes under the default limit");

cleanup:
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
