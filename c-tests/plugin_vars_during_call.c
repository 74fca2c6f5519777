/* Host-side var writes are refused while a call runs on the plugin (docs/abi.md 10): a host
 * function of the running plugin tries extism_plugin_var_set/_remove on it; both fail without
 * blocking, and the var store is unchanged afterwards. */
#include "check.h"

struct attempt {
    ExtismPlugin *plugin;
    int calls;
    bool set_result;
    bool remove_result;
};

/* hello_world: tries the writes, then returns its input block unchanged. */
static void try_writes(ExtismCurrentPlugin *current, const ExtismVal *inputs, ExtismSize n_inputs,
                       ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct attempt *attempt = data;
    (void)current;
    attempt->calls++;
    attempt->set_result =
        extism_plugin_var_set(attempt->plugin, "during", (const uint8_t *)"call", 4);
    attempt->remove_result = extism_plugin_var_remove(attempt->plugin, "before");
    if (n_inputs == 1 && n_outputs == 1) {
        outputs[0].v.i64 = inputs[0].v.i64;
    }
}

int main(void) {
    int failed = 0;
    struct attempt attempt = {0};
    ExtismValType ptr = EXTISM_PTR;
    ExtismFunction *hello =
        extism_function_new("hello_world", &ptr, 1, &ptr, 1, try_writes, &attempt, NULL);
    const ExtismFunction *functions[] = {hello};
    ExtismSize len = 0;
    const uint8_t *value;
    CHECK(hello != NULL, "extism_function_new failed");
    attempt.plugin = load_plugin("host_fn_hello.wasm", functions, 1, false);
    CHECK(attempt.plugin != NULL, "host_fn_hello.wasm did not load");

    CHECK(extism_plugin_var_set(attempt.plugin, "before", (const uint8_t *)"kept", 4),
          "var_set between calls refused");
    CHECK_CALL_OUTPUT(attempt.plugin, "call_hello", "ping", "ping");
    CHECK(attempt.calls == 1, "host function ran %d times", attempt.calls);
    CHECK(!attempt.set_result, "var_set during a call succeeded");
    CHECK(!attempt.remove_result, "var_remove during a call succeeded");

    /* Nothing changed, and writes work again once the call is over. */
    CHECK(extism_plugin_var_get(attempt.plugin, "during", &len) == NULL,
          "the refused write is visible");
    value = extism_plugin_var_get(attempt.plugin, "before", &len);
    CHECK(value != NULL && len == 4 && memcmp(value, "kept", 4) == 0,
          "the refused removal removed the var");
    CHECK(extism_plugin_var_set(attempt.plugin, "during", (const uint8_t *)"after", 5),
          "var_set after the call refused");

cleanup:
    extism_plugin_free(attempt.plugin);
    extism_function_free(hello);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
