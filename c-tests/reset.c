/* extism_plugin_reset: releases Extism memory and zeroes the output, keeps vars and module
 * state, and the plugin works afterwards. */
#include "check.h"

#define OUT(count, total) "{\"count\":" #count ",\"total\":" #total ",\"vowels\":\"aeiouAEIOU\"}"

int main(void) {
    int failed = 0;
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *multi = NULL;
    char manifest[4096];

    CHECK(!extism_plugin_reset(NULL), "reset of NULL returned true");

    plugin = load_plugin("count_vowels.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "count_vowels.wasm did not load");

    /* A plugin that has never been called can be reset. */
    CHECK(extism_plugin_reset(plugin), "reset of a fresh plugin failed");
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "Hello, World!", OUT(3, 3));

    CHECK(extism_plugin_output_length(plugin) > 0, "no output before reset");
    CHECK(extism_plugin_reset(plugin), "reset failed");
    CHECK(extism_plugin_output_length(plugin) == 0, "reset left %llu bytes of output",
          (unsigned long long)extism_plugin_output_length(plugin));
    CHECK(extism_plugin_output_data(plugin) != NULL, "output_data is NULL after reset");

    /* Vars survive a reset. */
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "Hello, World!", OUT(3, 6));
    CHECK(extism_plugin_reset(plugin), "second reset failed");
    CHECK(extism_plugin_reset(plugin), "reset twice in a row failed");
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "aeiou", OUT(5, 11));

    /* Module state (a reactor's globals) survives a reset. */
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\",\"name\":\"lib\"},{\"path\":\"%s\",\"name\":\"main\"}]}",
             plugin_path("multi_lib.wasm"), plugin_path("multi_main.wasm"));
    multi = plugin_from_text(manifest, NULL, 0, false);
    CHECK(multi != NULL, "multi_lib + multi_main did not load");
    CHECK_CALL_OUTPUT(multi, "bump", "", "1");
    CHECK(extism_plugin_reset(multi), "reset of the multi-module plugin failed");
    CHECK_CALL_OUTPUT(multi, "bump", "", "2");

cleanup:
    extism_plugin_free(multi);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
