/* Without a log sink nothing is logged (docs/abi.md 8.6): get_log_level answers 2147483647 (off),
 * and a plugin that logs at every level anyway still runs normally. */
#include "check.h"

int main(void) {
    int failed = 0;
    int i;
    ExtismPlugin *plugin = load_plugin("log.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "log.wasm did not load");

    for (i = 0; i < 3; i++) {
        CHECK_CALL_OUTPUT(plugin, "level", "", "2147483647");
        CHECK_CALL_OUTPUT(plugin, "log_all", "", "2147483647");
    }

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
