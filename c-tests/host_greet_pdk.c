/* A plugin built with the official AssemblyScript PDK (host_greet.wasm) calling a C host
 * function that builds its result from its argument block. */
#include "check.h"

struct greet_state {
    int calls;
};

/* Returns a new block holding "Hello, " followed by the argument block's bytes. */
static void hello(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                  ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    static const char prefix[] = "Hello, ";
    const ExtismSize prefix_len = sizeof prefix - 1;
    ExtismMemoryHandle in = (ExtismMemoryHandle)inputs[0].v.i64;
    ExtismSize len = extism_current_plugin_memory_length(plugin, in);
    ExtismMemoryHandle out = extism_current_plugin_memory_alloc(plugin, prefix_len + len);
    uint8_t *base = extism_current_plugin_memory(plugin);
    (void)n_inputs;
    (void)n_outputs;

    ((struct greet_state *)data)->calls++;
    if (out == 0 || base == NULL) {
        extism_current_plugin_set_error(plugin, "hello: out of memory");
        return;
    }
    memcpy(base + out, prefix, (size_t)prefix_len);
    if (len > 0) {
        memcpy(base + out + prefix_len, base + in, (size_t)len);
    }
    outputs[0].v.i64 = (int64_t)out;
}

int main(void) {
    int failed = 0;
    const ExtismValType ptr = EXTISM_PTR;
    struct greet_state state = {0};
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;

    function = extism_function_new("hello", &ptr, 1, &ptr, 1, hello, &state, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("host_greet.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "host_greet.wasm did not load");

    CHECK_CALL_OUTPUT(plugin, "greet", "Ada", "Hello, Ada");
    CHECK_CALL_OUTPUT(plugin, "greet", "Grace Hopper", "Hello, Grace Hopper");
    CHECK(state.calls == 2, "host function ran %d times, expected 2", state.calls);

cleanup:
    extism_plugin_free(plugin);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
