/* A program linked against libextism.a instead of the shared library. */
#include "check.h"

int main(void) {
    int failed = 0;
    ExtismPlugin *plugin = load_plugin("noop.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "noop.wasm did not load");

    CHECK(extism_plugin_call(plugin, "run", NULL, 0) == EXTISM_SUCCESS, "run failed: %s",
          text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
    CHECK(extism_plugin_call(plugin, "nope", NULL, 0) == -1, "nope did not fail");
    CHECK_STR_EQ(extism_plugin_error(plugin), "Function not found: nope");
    CHECK(extism_version() != NULL, "no version");

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
