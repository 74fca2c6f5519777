/* Manifests with several modules: a reactor library whose state persists, a command library
 * that runs on a fresh instance per call, entry order, and duplicate names. */
#include "check.h"

#define COMPILE_PREFIX "Unable to compile Extism plugin: "

static ExtismPlugin *two_modules(const char *first, const char *first_name, const char *second,
                                 const char *second_name) {
    char manifest[4096];
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\",\"name\":\"%s\"},{\"path\":\"%s\",\"name\":\"%s\"}]}",
             plugin_path(first), first_name, plugin_path(second), second_name);
    return plugin_from_text(manifest, NULL, 0, false);
}

int main(void) {
    int failed = 0;
    char manifest[4096];
    char *errmsg = NULL;
    ExtismPlugin *plugin = NULL;

    plugin = two_modules("multi_lib.wasm", "lib", "multi_main.wasm", "main");
    CHECK(plugin != NULL, "multi_lib + multi_main did not load");
    CHECK_CALL_OUTPUT(plugin, "run", "", "42");
    CHECK_CALL_OUTPUT(plugin, "bump", "", "1");
    CHECK_CALL_OUTPUT(plugin, "bump", "", "2");
    CHECK_CALL_OUTPUT(plugin, "run", "", "42");
    CHECK_CALL_OUTPUT(plugin, "bump", "", "3");
    /* Only main's exports are callable. */
    CHECK(extism_plugin_function_exists(plugin, "run"), "run not found");
    extism_plugin_free(plugin);
    plugin = NULL;

    /* Entry order does not matter. */
    plugin = two_modules("multi_main.wasm", "main", "multi_lib.wasm", "lib");
    CHECK(plugin != NULL, "multi_main + multi_lib did not load");
    CHECK_CALL_OUTPUT(plugin, "run", "", "42");
    CHECK_CALL_OUTPUT(plugin, "bump", "", "1");
    extism_plugin_free(plugin);
    plugin = NULL;

    /* Without an entry named main, the last entry becomes main. */
    plugin = two_modules("multi_lib.wasm", "lib", "multi_main.wasm", "entry");
    CHECK(plugin != NULL, "multi_lib + multi_main named entry did not load");
    CHECK_CALL_OUTPUT(plugin, "run", "", "42");
    extism_plugin_free(plugin);
    plugin = NULL;

    /* A command module runs on a fresh instance for every call into it. */
    plugin = two_modules("command_lib.wasm", "cmd", "command_main.wasm", "main");
    CHECK(plugin != NULL, "command_lib + command_main did not load");
    CHECK_CALL_OUTPUT(plugin, "run", "", "1,1");
    CHECK_CALL_OUTPUT(plugin, "run", "", "1,1");
    extism_plugin_free(plugin);
    plugin = NULL;

    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\",\"name\":\"main\"},{\"path\":\"%s\",\"name\":\"main\"}]}",
             plugin_path("multi_lib.wasm"), plugin_path("multi_main.wasm"));
    errmsg = text_creation_error(manifest);
    CHECK_STR_EQ(errmsg, COMPILE_PREFIX "Duplicate module name found in Extism manifest: main");
    extism_plugin_new_error_free(errmsg);

    /* Two unnamed entries are both main. */
    snprintf(manifest, sizeof manifest, "{\"wasm\":[{\"path\":\"%s\"},{\"path\":\"%s\"}]}",
             plugin_path("multi_lib.wasm"), plugin_path("multi_main.wasm"));
    errmsg = text_creation_error(manifest);
    CHECK_STR_EQ(errmsg, COMPILE_PREFIX "Duplicate module name found in Extism manifest: main");

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
