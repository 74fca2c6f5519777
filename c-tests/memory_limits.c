/* memory.max_pages (docs/abi.md 7.3): growth past the budget fails the call with rc -1 and "oom",
 * whether the guest grows its own memory or Extism memory; max_pages 0 fails the first call. */
#include "check.h"

static ExtismPlugin *traps_with_pages(const char *max_pages) {
    char manifest[4096];
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"memory\":{\"max_pages\":%s}}",
             plugin_path("traps.wasm"), max_pages);
    return plugin_from_text(manifest, NULL, 0, false);
}

static bool check_oom(ExtismPlugin *plugin, const char *func) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, func, NULL, 0);
    CHECK(rc == -1, "%s returned %d (error: %s)", func, rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "oom");
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    ExtismPlugin *plugin = NULL;

    plugin = traps_with_pages("4");
    CHECK(plugin != NULL, "traps.wasm with max_pages 4 did not load");
    CHECK(check_oom(plugin, "grow_bomb"), "memory.grow past the budget");
    CHECK(check_oom(plugin, "grow_bomb"), "memory.grow past the budget, again");
    CHECK(extism_plugin_call(plugin, "unreachable", NULL, 0) == 134, "plugin unusable after oom");
    extism_plugin_free(plugin);

    plugin = traps_with_pages("4");
    CHECK(plugin != NULL, "traps.wasm with max_pages 4 did not load");
    CHECK(check_oom(plugin, "alloc_bomb"), "Extism allocations past the budget");
    extism_plugin_free(plugin);

    /* Creation succeeds; instantiating main's one page does not fit. */
    plugin = traps_with_pages("0");
    CHECK(plugin != NULL, "traps.wasm with max_pages 0 did not load");
    CHECK(check_oom(plugin, "unreachable"), "first call under max_pages 0");

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
