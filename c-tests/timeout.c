/* The manifest's timeout_ms: a call running past it returns 134 with "timeout"; each call gets
 * a fresh clock; the plugin stays usable (docs/abi.md 7.1, 8.1). */
#include <time.h>

#include "check.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool check_times_out(ExtismPlugin *plugin) {
    int failed = 0;
    double start = now_seconds(), elapsed;
    int32_t rc = extism_plugin_call(plugin, "infinite_loop", NULL, 0);
    elapsed = now_seconds() - start;
    CHECK(rc == 134, "infinite_loop returned %d (error: %s)", rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "timeout");
    CHECK(elapsed >= 0.19, "timed out after %.3f s, before the 200 ms limit", elapsed);
    CHECK(elapsed < 10.0 * time_scale(), "timed out only after %.1f s", elapsed);
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    char manifest[4096];
    ExtismPlugin *plugin = NULL;

    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"}],\"timeout_ms\":200}",
             plugin_path("traps.wasm"));
    plugin = plugin_from_text(manifest, NULL, 0, false);
    CHECK(plugin != NULL, "traps.wasm with a timeout did not load");

    CHECK(check_times_out(plugin), "first call");
    CHECK(check_times_out(plugin), "second call");

    /* Other failures keep their own error. */
    CHECK(extism_plugin_call(plugin, "oob", NULL, 0) == 134, "oob");
    CHECK_STR_CONTAINS(extism_plugin_error(plugin), "out of bounds");
    CHECK(check_times_out(plugin), "after a trap");

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
