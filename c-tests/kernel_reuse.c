/* Reuse only under pressure (docs/abi.md 5.4): a guest that frees a handle the runtime already
 * took (key, value or message blocks, as the Haskell PDK does) must not free what the runtime
 * handed out afterwards; and a guest that allocates and frees in a loop within one call keeps
 * its Extism memory bounded. */
#include "check.h"

#define REUSE_MANIFEST                                                                             \
    "{\"wasm\": [{\"path\": \"" PLUGINS_DIR "reuse.wasm\"}], \"config\": {\"greeting\": "          \
    "\"Howdy\"}}"

int main(void) {
    int failed = 0;
    uint64_t memory_bytes = 0;
    ExtismPlugin *plugin = plugin_from_text(REUSE_MANIFEST, NULL, 0, false);
    CHECK(plugin != NULL, "reuse.wasm did not load");

    CHECK_CALL_OUTPUT(plugin, "config_twice", "", "Howdy");
    CHECK_CALL_OUTPUT(plugin, "var_get_twice", "", "stored");
    CHECK_CALL_OUTPUT(plugin, "var_set_twice", "", "survivor");
    CHECK_CALL_OUTPUT(plugin, "log_twice", "", "survivor");
    /* Again, with the vars left by the calls before. */
    CHECK_CALL_OUTPUT(plugin, "var_get_twice", "", "stored");
    CHECK_CALL_OUTPUT(plugin, "config_twice", "", "Howdy");

    /* 10,000 allocations of up to 5,000 bytes, each freed: one page of Extism memory holds
     * them all once freed blocks are reused and merged. */
    CHECK(extism_plugin_call(plugin, "churn", NULL, 0) == 0, "churn failed: %s",
          text_or_null(extism_plugin_error(plugin)));
    CHECK(extism_plugin_output_length(plugin) == 8, "churn output is %llu bytes",
          (unsigned long long)extism_plugin_output_length(plugin));
    memcpy(&memory_bytes, extism_plugin_output_data(plugin), 8);
    CHECK(memory_bytes == 65536, "Extism memory grew to %llu bytes under alloc/free churn",
          (unsigned long long)memory_bytes);

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : 0;
}
