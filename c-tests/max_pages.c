/* memory.max_pages against a plugin's initial memory and against growth (docs/abi.md 7.3): a module
 * declaring 17 pages fails its first call with "oom" under max_pages 16 and works under 17;
 * max_pages 0 lets creation succeed and fails the first call; a memory.grow bomb and a 64 MiB
 * input fail with "oom" under 16 pages, after which the plugin still works. */
#include "check.h"

/* A module whose memory starts at 17 pages, with an export that does nothing. */
static const char SEVENTEEN_PAGES_WAT[] = "(module (memory 17) (func (export \"run\")))";

/* A plugin of the 17-page module under `max_pages`. */
static ExtismPlugin *seventeen_pages(const char *max_pages) {
    char manifest[1024];
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"data\":{\"ptr\":%llu,\"len\":%llu}}],"
             "\"memory\":{\"max_pages\":%s}}",
             (unsigned long long)(uintptr_t)SEVENTEEN_PAGES_WAT,
             (unsigned long long)strlen(SEVENTEEN_PAGES_WAT), max_pages);
    return plugin_from_text(manifest, NULL, 0, false);
}

static ExtismPlugin *file_with_pages(const char *name, const char *max_pages) {
    char manifest[4096];
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"memory\":{\"max_pages\":%s}}", plugin_path(name),
             max_pages);
    return plugin_from_text(manifest, NULL, 0, false);
}

static bool check_oom(ExtismPlugin *plugin, const char *func, const uint8_t *input, size_t len) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, func, input, len);
    CHECK(rc == -1, "%s returned %d (error: %s)", func, rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), "oom");
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    const size_t big = (size_t)64 << 20;
    uint8_t *input = NULL;
    ExtismPlugin *plugin = NULL;

    /* Without a limit the module runs. */
    plugin = seventeen_pages("null");
    CHECK(plugin != NULL, "the 17-page module did not load");
    CHECK(extism_plugin_call(plugin, "run", NULL, 0) == 0, "run without a limit: %s",
          text_or_null(extism_plugin_error(plugin)));
    extism_plugin_free(plugin);

    /* One page short: creation works, the first call cannot instantiate main. */
    plugin = seventeen_pages("16");
    CHECK(plugin != NULL, "the 17-page module did not load under max_pages 16");
    CHECK(check_oom(plugin, "run", NULL, 0), "17 pages under max_pages 16");
    extism_plugin_free(plugin);

    plugin = seventeen_pages("17");
    CHECK(plugin != NULL, "the 17-page module did not load under max_pages 17");
    CHECK(extism_plugin_call(plugin, "run", NULL, 0) == 0, "17 pages under max_pages 17: %s",
          text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
    CHECK(extism_plugin_call(plugin, "run", NULL, 0) == 0, "second call under max_pages 17: %s",
          text_or_null(extism_plugin_error(plugin)));
    extism_plugin_free(plugin);

    plugin = seventeen_pages("0");
    CHECK(plugin != NULL, "the 17-page module did not load under max_pages 0");
    CHECK(check_oom(plugin, "run", NULL, 0), "17 pages under max_pages 0");
    extism_plugin_free(plugin);

    /* Growing main's memory past the budget, then the plugin is still usable. */
    plugin = file_with_pages("traps.wasm", "16");
    CHECK(plugin != NULL, "traps.wasm did not load under max_pages 16");
    CHECK(check_oom(plugin, "grow_bomb", NULL, 0), "grow_bomb under max_pages 16");
    CHECK(extism_plugin_call(plugin, "unreachable", NULL, 0) == 134,
          "traps.wasm unusable after oom: %s", text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_CONTAINS(extism_plugin_error(plugin), "unreachable");
    extism_plugin_free(plugin);

    /* A 64 MiB input does not fit 16 pages; a small one afterwards is echoed. */
    input = malloc(big);
    CHECK(input != NULL, "out of memory");
    memset(input, 'x', big);
    plugin = file_with_pages("echo.wasm", "16");
    CHECK(plugin != NULL, "echo.wasm did not load under max_pages 16");
    CHECK_CALL_OUTPUT(plugin, "echo", "before", "before");
    CHECK(check_oom(plugin, "echo", input, big), "a 64 MiB input under max_pages 16");
    CHECK_CALL_OUTPUT(plugin, "echo", "small input", "small input");
    CHECK(check_oom(plugin, "echo", input, big), "a 64 MiB input under max_pages 16, again");
    CHECK_CALL_OUTPUT(plugin, "echo", "small again", "small again");

cleanup:
    extism_plugin_free(plugin);
    free(input);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
