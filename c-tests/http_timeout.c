/* A request uses the call's remaining time as its timeout (docs/abi.md 8.1, 8.5 step 6): with
 * timeout_ms 500, a server that answers after 3 s makes the call fail with rc 134 and "timeout"
 * before the answer comes. */
#include <time.h>

#include "http_server.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void) {
    int failed = 0;
    int32_t rc;
    double start, elapsed;
    char request[256];
    struct http_server server;
    ExtismPlugin *plugin = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");
    plugin = http_fetch_plugin("[\"127.0.0.1\"]", "\"timeout_ms\":500");
    CHECK(plugin != NULL, "http_fetch.wasm with a timeout did not load");

    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/slow\"}", server.port);
    start = now_seconds();
    rc = http_fetch(plugin, request);
    elapsed = now_seconds() - start;
    CHECK(rc == 134, "GET /slow returned %d (error: %s)", rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "timeout");
    CHECK(elapsed < 2.0 * time_scale(),
          "the call took %.2f s; the timeout is 500 ms, the server answers in 3 s", elapsed);
    printf("GET /slow: rc %d after %.3f s\n", rc, elapsed);

    /* The next call has its own 500 ms, enough for a quick request. */
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/hello\"}", server.port);
    CHECK_CALL_OUTPUT(plugin, "fetch", request, "{\"status\":200,\"body\":\"hello\"}");

cleanup:
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
