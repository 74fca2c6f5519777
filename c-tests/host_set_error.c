/* extism_current_plugin_set_error (docs/abi.md D6): the running call fails with rc -1 and exactly
 * that message; the last message wins; the next call succeeds. */
#include "check.h"

enum error_mode { SUCCEED, FAIL_ONCE, FAIL_TWICE, FAIL_NULL_MESSAGE, FAIL_UTF8 };

struct error_state {
    enum error_mode mode;
    int calls;
};

static void maybe_fail(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                       ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct error_state *state = data;
    char message[64];
    (void)n_inputs;
    (void)n_outputs;
    state->calls++;
    switch (state->mode) {
    case FAIL_ONCE:
        /* The library copies the message; this buffer dies with the callback. */
        strcpy(message, "host function refused");
        extism_current_plugin_set_error(plugin, message);
        memset(message, 'x', sizeof message - 1);
        break;
    case FAIL_TWICE:
        extism_current_plugin_set_error(plugin, "first message");
        extism_current_plugin_set_error(plugin, "second message");
        break;
    case FAIL_NULL_MESSAGE:
        extism_current_plugin_set_error(plugin, NULL);
        break;
    case FAIL_UTF8:
        extism_current_plugin_set_error(plugin, "\xc3\xa9"
                                                "chec \xe2\x9c\x97");
        break;
    case SUCCEED:
        break;
    }
    outputs[0].v.i64 = inputs[0].v.i64;
}

static bool check_failure(ExtismPlugin *plugin, const char *expected) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, "call_hello", (const uint8_t *)"input", 5);
    CHECK(rc == -1, "rc %d, expected -1", rc);
    CHECK_STR_EQ(extism_plugin_error(plugin), expected);
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    const ExtismValType ptr = EXTISM_PTR;
    struct error_state state = {SUCCEED, 0};
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;

    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, maybe_fail, &state, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "host_fn_hello.wasm did not load");

    CHECK_CALL_OUTPUT(plugin, "call_hello", "fine", "fine");

    state.mode = FAIL_ONCE;
    CHECK(check_failure(plugin, "host function refused"), "one set_error");
    state.mode = SUCCEED;
    CHECK_CALL_OUTPUT(plugin, "call_hello", "fine again", "fine again");

    state.mode = FAIL_TWICE;
    CHECK(check_failure(plugin, "second message"), "two set_error calls");

    state.mode = FAIL_UTF8;
    CHECK(check_failure(plugin, "\xc3\xa9"
                                "chec \xe2\x9c\x97"),
          "UTF-8 message");

    /* A NULL message is ignored: the call succeeds. */
    state.mode = FAIL_NULL_MESSAGE;
    CHECK_CALL_OUTPUT(plugin, "call_hello", "null message", "null message");

    state.mode = SUCCEED;
    CHECK_CALL_OUTPUT(plugin, "call_hello", "", "");
    CHECK(state.calls == 7, "callback ran %d times, expected 7", state.calls);

cleanup:
    extism_plugin_free(plugin);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
