/* extism_current_plugin_host_context returns the pointer given to
 * extism_plugin_call_with_host_context, and NULL for a plain extism_plugin_call. */
#include "check.h"

struct context_state {
    int calls;
    void *seen;
};

static void record_context(ExtismCurrentPlugin *plugin, const ExtismVal *inputs,
                           ExtismSize n_inputs, ExtismVal *outputs, ExtismSize n_outputs,
                           void *data) {
    struct context_state *state = data;
    (void)n_inputs;
    (void)n_outputs;
    state->calls++;
    state->seen = extism_current_plugin_host_context(plugin);
    outputs[0].v.i64 = inputs[0].v.i64;
}

int main(void) {
    int failed = 0;
    int first_context = 1;
    double second_context = 2.0;
    const ExtismValType ptr = EXTISM_PTR;
    struct context_state state = {0, NULL};
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;

    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, record_context, &state, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "host_fn_hello.wasm did not load");

    state.seen = &state;
    CHECK(extism_plugin_call_with_host_context(plugin, "call_hello", (const uint8_t *)"a", 1,
                                               &first_context) == 0,
          "call with context failed: %s", text_or_null(extism_plugin_error(plugin)));
    CHECK(state.calls == 1, "callback ran %d times", state.calls);
    CHECK(state.seen == &first_context, "callback saw %p, expected %p", state.seen,
          (void *)&first_context);

    CHECK(extism_plugin_call_with_host_context(plugin, "call_hello", (const uint8_t *)"b", 1,
                                               &second_context) == 0,
          "second call with context failed");
    CHECK(state.seen == &second_context, "callback saw %p, expected %p", state.seen,
          (void *)&second_context);

    /* A plain call has no context, even right after a call that had one. */
    state.seen = &state;
    CHECK_CALL_OUTPUT(plugin, "call_hello", "c", "c");
    CHECK(state.calls == 3, "callback ran %d times", state.calls);
    CHECK(state.seen == NULL, "plain call: callback saw %p", state.seen);

    state.seen = &state;
    CHECK(extism_plugin_call_with_host_context(plugin, "call_hello", (const uint8_t *)"d", 1,
                                               NULL) == 0,
          "call with a NULL context failed");
    CHECK(state.seen == NULL, "NULL context: callback saw %p", state.seen);
    CHECK(state.calls == 4, "callback ran %d times", state.calls);

cleanup:
    extism_plugin_free(plugin);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
