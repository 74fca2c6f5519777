/* A call blocked in http_request ends within a second when it is cancelled or reaches its
 * timeout, whatever the server does (docs/abi.md 8.1, 8.5 step 6): against a server that
 * never answers, or that stops in the middle of the body, the call returns rc 134 and
 * "timeout", also without timeout_ms; the plugin keeps working afterwards. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "http_server.h"

struct canceller {
    const ExtismCancelHandle *handle;
    atomic_bool call_done;
};

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Cancels 200 ms after it starts, then every 50 ms until the call is over, so a cancel that
 * came before the call was running cannot leave the test hanging. */
static void *cancel_until_done(void *arg) {
    struct canceller *canceller = arg;
    sleep_ms(200);
    while (!atomic_load(&canceller->call_done)) {
        extism_plugin_cancel(canceller->handle);
        sleep_ms(50);
    }
    return NULL;
}

/* Calls fetch with `path` of the server while another thread cancels the call; returns the
 * rc and stores the call's duration in *elapsed. Returns -999 if the thread did not start. */
static int32_t fetch_cancelled(ExtismPlugin *plugin, int port, const char *path, double *elapsed) {
    char request[256];
    pthread_t thread;
    struct canceller canceller;
    double start;
    int32_t rc;

    canceller.handle = extism_plugin_cancel_handle(plugin);
    atomic_init(&canceller.call_done, false);
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d%s\"}", port, path);
    if (pthread_create(&thread, NULL, cancel_until_done, &canceller) != 0) {
        return -999;
    }
    start = now_ms();
    rc = http_fetch(plugin, request);
    *elapsed = now_ms() - start;
    atomic_store(&canceller.call_done, true);
    pthread_join(thread, NULL);
    return rc;
}

int main(void) {
    int failed = 0;
    int32_t rc;
    double start, elapsed = 0;
    char request[256];
    char hello[256];
    struct http_server server;
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *timed = NULL;

    http_server_init(&server);
    CHECK(http_server_start(&server), "the HTTP server did not start");
    snprintf(hello, sizeof hello, "{\"url\":\"http://127.0.0.1:%d/hello\"}", server.port);

    /* No timeout_ms: only the cancel can end these calls. */
    plugin = http_fetch_plugin("[\"127.0.0.1\"]", "");
    CHECK(plugin != NULL, "http_fetch.wasm did not load");

    rc = fetch_cancelled(plugin, server.port, "/never", &elapsed);
    CHECK(rc == 134, "GET /never, cancelled: rc %d (error: %s)", rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "timeout");
    CHECK(elapsed >= 190 && elapsed < 1000 * time_scale(),
          "GET /never, cancelled after 200 ms, took %.0f ms", elapsed);
    printf("GET /never, cancelled after 200 ms: rc %d after %.0f ms\n", rc, elapsed);
    CHECK_CALL_OUTPUT(plugin, "fetch", hello, "{\"status\":200,\"body\":\"hello\"}");

    rc = fetch_cancelled(plugin, server.port, "/stalled-body", &elapsed);
    CHECK(rc == 134, "GET /stalled-body, cancelled: rc %d (error: %s)", rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "timeout");
    CHECK(elapsed >= 190 && elapsed < 1000 * time_scale(),
          "GET /stalled-body, cancelled after 200 ms, took %.0f ms", elapsed);
    printf("GET /stalled-body, cancelled after 200 ms: rc %d after %.0f ms\n", rc, elapsed);
    CHECK_CALL_OUTPUT(plugin, "fetch", hello, "{\"status\":200,\"body\":\"hello\"}");

    /* timeout_ms 300: the deadline ends the wait in the same way. */
    timed = http_fetch_plugin("[\"127.0.0.1\"]", "\"timeout_ms\":300");
    CHECK(timed != NULL, "http_fetch.wasm with a timeout did not load");
    snprintf(request, sizeof request, "{\"url\":\"http://127.0.0.1:%d/never\"}", server.port);
    start = now_ms();
    rc = http_fetch(timed, request);
    elapsed = now_ms() - start;
    CHECK(rc == 134, "GET /never, timeout_ms 300: rc %d (error: %s)", rc,
          text_or_null(extism_plugin_error(timed)));
    CHECK_STR_EQ(extism_plugin_error(timed), "timeout");
    CHECK(elapsed >= 290 && elapsed < 1000 * time_scale(),
          "GET /never with timeout_ms 300 took %.0f ms", elapsed);
    printf("GET /never, timeout_ms 300: rc %d after %.0f ms\n", rc, elapsed);
    CHECK_CALL_OUTPUT(timed, "fetch", hello, "{\"status\":200,\"body\":\"hello\"}");

cleanup:
    extism_plugin_free(timed);
    extism_plugin_free(plugin);
    http_server_stop(&server);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
