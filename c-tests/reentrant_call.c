/* A host function that calls back into its own plugin gets -1 at once instead of a deadlock
 * (docs/abi.md D3); error, output and config queries from inside the callback do not block; calls
 * into another plugin work; the outer call completes. */
#include <time.h>

#include "check.h"

struct reentry_state {
    ExtismPlugin *self;
    ExtismPlugin *other;
    int calls;
    int depth;
    int32_t inner_rc;
    double inner_seconds;
    double queries_seconds;
    int32_t other_rc;
    bool other_output_ok;
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void call_self(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                      ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct reentry_state *state = data;
    const char *error;
    double start;
    (void)plugin;
    (void)n_inputs;
    (void)n_outputs;
    state->calls++;
    outputs[0].v.i64 = inputs[0].v.i64;
    /* Should the inner call get through, do not recurse again. */
    if (state->depth > 0) {
        return;
    }
    state->depth++;

    start = now_seconds();
    state->inner_rc = extism_plugin_call(state->self, "call_hello", (const uint8_t *)"inner", 5);
    state->inner_seconds = now_seconds() - start;

    start = now_seconds();
    error = extism_plugin_error(state->self);
    printf("error seen inside the callback: %s\n", text_or_null(error));
    (void)extism_plugin_output_length(state->self);
    (void)extism_plugin_output_data(state->self);
    (void)extism_plugin_config(state->self, (const uint8_t *)"{}", 2);
    state->queries_seconds = now_seconds() - start;

    state->other_rc = extism_plugin_call(state->other, "echo", (const uint8_t *)"other", 5);
    state->other_output_ok = extism_plugin_output_length(state->other) == 5 &&
                             memcmp(extism_plugin_output_data(state->other), "other", 5) == 0;
    state->depth--;
}

int main(void) {
    int failed = 0;
    const ExtismValType ptr = EXTISM_PTR;
    struct reentry_state state = {NULL, NULL, 0, 0, 0, 0.0, 0.0, 0, false};
    ExtismFunction *function = NULL;

    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, call_self, &state, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    state.self = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(state.self != NULL, "host_fn_hello.wasm did not load");
    state.other = load_plugin("echo.wasm", NULL, 0, false);
    CHECK(state.other != NULL, "echo.wasm did not load");

    CHECK_CALL_OUTPUT(state.self, "call_hello", "outer", "outer");
    CHECK(state.calls == 1, "callback ran %d times, expected 1", state.calls);
    CHECK(state.inner_rc == -1, "re-entrant call returned %d, expected -1", state.inner_rc);
    CHECK(state.inner_seconds < 1.0 * time_scale(), "re-entrant call took %.3f s",
          state.inner_seconds);
    CHECK(state.queries_seconds < 1.0 * time_scale(), "queries inside the callback took %.3f s",
          state.queries_seconds);
    CHECK(state.other_rc == 0, "call into another plugin returned %d", state.other_rc);
    CHECK(state.other_output_ok, "call into another plugin gave the wrong output");

    /* The plugin is not left locked. */
    CHECK_CALL_OUTPUT(state.self, "call_hello", "after", "after");
    CHECK(state.calls == 2 && state.inner_rc == -1, "second round: calls %d, inner rc %d",
          state.calls, state.inner_rc);

cleanup:
    extism_plugin_free(state.other);
    extism_plugin_free(state.self);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
