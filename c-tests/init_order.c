/* Guest-runtime initialisation (docs/abi.md 6.4, D5): _initialize then hs_init(0, 0) for a
 * Haskell-style plugin; __wasm_call_ctors instead of _initialize when both exist; and each
 * initialiser runs once per instance, not once per call. */
#include "check.h"

int main(void) {
    int failed = 0;
    int i;
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *sibling = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    plugin = load_plugin("init_order.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "init_order.wasm did not load");
    for (i = 0; i < 3; i++) {
        CHECK_CALL_OUTPUT(plugin, "order", "", "IH");
    }
    extism_plugin_free(plugin);

    plugin = load_plugin("ctors.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "ctors.wasm did not load");
    for (i = 0; i < 3; i++) {
        CHECK_CALL_OUTPUT(plugin, "order", "", "C");
    }
    extism_plugin_free(plugin);

    plugin = load_plugin("reactor_init.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "reactor_init.wasm did not load");
    for (i = 0; i < 3; i++) {
        CHECK_CALL_OUTPUT(plugin, "count", "", "1");
    }
    extism_plugin_free(plugin);
    plugin = NULL;

    /* Plugins made from one compiled plugin have their own instances, each initialised once. */
    compiled = load_compiled_plugin("reactor_init.wasm", NULL, 0, false);
    CHECK(compiled != NULL, "reactor_init.wasm did not compile");
    plugin = extism_plugin_new_from_compiled(compiled, NULL);
    sibling = extism_plugin_new_from_compiled(compiled, NULL);
    CHECK(plugin != NULL && sibling != NULL, "new_from_compiled failed");
    CHECK_CALL_OUTPUT(plugin, "count", "", "1");
    CHECK_CALL_OUTPUT(sibling, "count", "", "1");
    CHECK_CALL_OUTPUT(plugin, "count", "", "1");
    extism_plugin_free(sibling);
    sibling = NULL;
    extism_plugin_free(plugin);
    plugin = NULL;
    extism_compiled_plugin_free(compiled);

    compiled = load_compiled_plugin("init_order.wasm", NULL, 0, false);
    CHECK(compiled != NULL, "init_order.wasm did not compile");
    plugin = extism_plugin_new_from_compiled(compiled, NULL);
    sibling = extism_plugin_new_from_compiled(compiled, NULL);
    CHECK(plugin != NULL && sibling != NULL, "new_from_compiled failed");
    CHECK_CALL_OUTPUT(sibling, "order", "", "IH");
    CHECK_CALL_OUTPUT(plugin, "order", "", "IH");
    CHECK_CALL_OUTPUT(sibling, "order", "", "IH");

cleanup:
    extism_plugin_free(sibling);
    extism_plugin_free(plugin);
    extism_compiled_plugin_free(compiled);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
