/* WASI proc_exit from an export: code 0 is success, any other code is the return code. */
#include "check.h"

int main(void) {
    int failed = 0;
    int32_t rc;
    ExtismPlugin *plugin = load_plugin("wasi_exit.wasm", NULL, 0, true);
    CHECK(plugin != NULL, "wasi_exit.wasm did not load");

    CHECK(extism_plugin_call(plugin, "exit0", NULL, 0) == 0, "exit0: %s",
          text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);

    rc = extism_plugin_call(plugin, "exit3", NULL, 0);
    CHECK(rc == 3, "exit3 returned %d (error: %s)", rc, text_or_null(extism_plugin_error(plugin)));
    CHECK(extism_plugin_error(plugin) != NULL, "exit3 left no error");

    /* The plugin keeps working after an exit. */
    CHECK(extism_plugin_call(plugin, "exit0", NULL, 0) == 0, "exit0 after exit3: %s",
          text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
    rc = extism_plugin_call(plugin, "exit3", NULL, 0);
    CHECK(rc == 3, "second exit3 returned %d", rc);

    /* Codes above 255 are not truncated: rc is the code itself (docs/abi.md 8.3). */
    rc = extism_plugin_call(plugin, "exit500", NULL, 0);
    CHECK(rc == 500, "exit500 returned %d (error: %s)", rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK(extism_plugin_error(plugin) != NULL, "exit500 left no error");

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
