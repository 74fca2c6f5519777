/* extism_plugin_output_length / _data from a host function during the call after `_start`:
 * that call rebuilds the store, which unmaps the memory holding the 64 KiB output `_start`
 * left, so the callback must see no output rather than the old address. */
#include "check.h"

struct seen {
    ExtismPlugin *plugin;
    int calls;
    ExtismSize length;
    unsigned checksum;
};

static void read_output(ExtismCurrentPlugin *current, const ExtismVal *inputs, ExtismSize n_inputs,
                        ExtismVal *outputs, ExtismSize n_outputs, void *user_data) {
    (void)current, (void)inputs, (void)n_inputs, (void)outputs, (void)n_outputs;
    struct seen *seen = user_data;
    const uint8_t *data = extism_plugin_output_data(seen->plugin);
    seen->calls++;
    seen->length = extism_plugin_output_length(seen->plugin);
    /* Touch every byte reported, as a host that copies the output would. */
    for (ExtismSize i = 0; i < seen->length; i++) {
        seen->checksum += data[i];
    }
}

int main(void) {
    int failed = 0;
    struct seen seen = {0};
    ExtismFunction *function =
        extism_function_new("read_output", NULL, 0, NULL, 0, read_output, &seen, NULL);
    const ExtismFunction *functions[1] = {function};

    CHECK(function != NULL, "extism_function_new failed");
    seen.plugin = load_plugin("output_after_start.wasm", functions, 1, false);
    CHECK(seen.plugin != NULL, "output_after_start.wasm did not load");

    CHECK(extism_plugin_call(seen.plugin, "_start", NULL, 0) == 0, "_start failed: %s",
          text_or_null(extism_plugin_error(seen.plugin)));
    CHECK(extism_plugin_output_length(seen.plugin) == 65536, "_start left %llu bytes of output",
          (unsigned long long)extism_plugin_output_length(seen.plugin));

    CHECK(extism_plugin_call(seen.plugin, "probe", NULL, 0) == 0, "probe failed: %s",
          text_or_null(extism_plugin_error(seen.plugin)));
    CHECK(seen.calls == 1, "read_output ran %d times", seen.calls);
    CHECK(seen.length == 0, "the callback saw %llu bytes of the rebuilt store's old output",
          (unsigned long long)seen.length);
    CHECK(extism_plugin_output_length(seen.plugin) == 0, "probe left output");

cleanup:
    extism_plugin_free(seen.plugin);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : 0;
}
