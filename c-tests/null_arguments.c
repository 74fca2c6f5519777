/* Every exported function with NULL for each pointer argument returns its documented
 * fallback (NULL, false, -1, 0) or does nothing (docs/abi.md 3 and 10, D7). */
#include "check.h"

struct callback_state {
    int calls;
    bool null_memory_ok;
};

/* Echoes the input handle back, after calling the current-plugin functions with NULL. */
static void hello_world(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                        ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct callback_state *state = data;
    (void)n_inputs;
    (void)n_outputs;
    state->calls++;
    extism_current_plugin_set_error(plugin, NULL);
    extism_current_plugin_set_error(NULL, "ignored");
    extism_current_plugin_log(plugin, 4, NULL);
    extism_current_plugin_log(NULL, 4, "ignored");
    extism_current_plugin_memory_free(NULL, (ExtismMemoryHandle)inputs[0].v.i64);
    state->null_memory_ok =
        extism_current_plugin_memory(NULL) == NULL &&
        extism_current_plugin_memory_alloc(NULL, 16) == 0 &&
        extism_current_plugin_memory_length(NULL, (ExtismMemoryHandle)inputs[0].v.i64) == 0 &&
        extism_current_plugin_host_context(NULL) == NULL;
    outputs[0].v.i64 = inputs[0].v.i64;
}

static void ignore_log(int32_t level, const char *message, ExtismSize len, void *user_data) {
    (void)level;
    (void)message;
    (void)len;
    (void)user_data;
}

/* A constructor given NULL wasm must fail and write an errmsg. */
static bool check_null_wasm_errmsg(char *errmsg, bool created) {
    int failed = 0;
    CHECK(!created, "a constructor accepted NULL wasm");
    CHECK(errmsg != NULL && errmsg[0] != '\0', "NULL wasm left no errmsg");
    printf("NULL wasm: %s\n", errmsg);
cleanup:
    extism_plugin_new_error_free(errmsg);
    return !failed;
}

int main(void) {
    int failed = 0;
    const ExtismValType i64 = ExtismValType_I64;
    struct callback_state state = {0, false};
    char *errmsg = NULL;
    size_t wasm_len = 0;
    uint8_t *wasm = NULL;
    ExtismSize len = 99;
    const uint8_t *value = NULL;
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *host = NULL;
    ExtismPlugin *created = NULL;
    ExtismCompiledPlugin *compiled = NULL;
    ExtismFunction *function = NULL;
    const ExtismCancelHandle *cancel = NULL;

    wasm = read_file(plugin_path("noop.wasm"), &wasm_len);
    CHECK(wasm != NULL, "cannot read noop.wasm");

    /* Constructors. */
    created = extism_plugin_new(NULL, 5, NULL, 0, false, &errmsg);
    CHECK(check_null_wasm_errmsg(errmsg, created != NULL), "extism_plugin_new");
    errmsg = NULL;
    created = extism_plugin_new(NULL, 0, NULL, 0, false, &errmsg);
    CHECK(check_null_wasm_errmsg(errmsg, created != NULL), "extism_plugin_new, length 0");
    errmsg = NULL;
    created = extism_plugin_new(NULL, 5, NULL, 0, false, NULL);
    CHECK(created == NULL, "extism_plugin_new accepted NULL wasm without errmsg");
    created = extism_plugin_new_with_fuel_limit(NULL, 5, NULL, 0, false, 1000, &errmsg);
    CHECK(check_null_wasm_errmsg(errmsg, created != NULL), "extism_plugin_new_with_fuel_limit");
    errmsg = NULL;
    compiled = extism_compiled_plugin_new(NULL, 5, NULL, 0, false, &errmsg);
    CHECK(check_null_wasm_errmsg(errmsg, compiled != NULL), "extism_compiled_plugin_new");
    errmsg = NULL;
    compiled = extism_compiled_plugin_new_with_fuel_limit(NULL, 5, NULL, 0, false, 1000, &errmsg);
    CHECK(check_null_wasm_errmsg(errmsg, compiled != NULL),
          "extism_compiled_plugin_new_with_fuel_limit");
    errmsg = NULL;
    created = extism_plugin_new_from_compiled(NULL, &errmsg);
    CHECK(check_null_wasm_errmsg(errmsg, created != NULL), "extism_plugin_new_from_compiled");
    errmsg = NULL;
    created = extism_plugin_new_from_compiled(NULL, NULL);
    CHECK(created == NULL, "extism_plugin_new_from_compiled(NULL, NULL)");

    /* A NULL function array means no functions, whatever the count. */
    plugin = extism_plugin_new(wasm, wasm_len, NULL, 3, false, &errmsg);
    CHECK(plugin != NULL, "NULL functions with a count: %s", text_or_null(errmsg));
    compiled = extism_compiled_plugin_new(wasm, wasm_len, NULL, 3, false, &errmsg);
    CHECK(compiled != NULL, "NULL functions with a count: %s", text_or_null(errmsg));

    /* Free functions. */
    extism_plugin_free(NULL);
    extism_compiled_plugin_free(NULL);
    extism_function_free(NULL);
    extism_plugin_new_error_free(NULL);
    extism_plugin_allow_http_response_headers(NULL);
    extism_function_set_namespace(NULL, "custom");
    extism_function_set_namespace(NULL, NULL);

    /* Calls and their error channel. */
    CHECK(extism_plugin_call(NULL, "run", NULL, 0) == -1, "call on NULL plugin");
    CHECK(extism_plugin_call_with_host_context(NULL, "run", NULL, 0, &state) == -1,
          "call_with_host_context on NULL plugin");
    CHECK(extism_plugin_call(plugin, NULL, NULL, 0) == -1, "call of a NULL name");
    CHECK(extism_plugin_error(plugin) != NULL, "call of a NULL name left no error");
    CHECK(extism_plugin_call(plugin, "run", NULL, 0) == 0, "run with NULL, 0 input");
    CHECK_NO_ERROR(plugin);
    CHECK(extism_plugin_call(plugin, "run", NULL, 5) == -1, "NULL data with length 5");
    CHECK(extism_plugin_error(plugin) != NULL, "NULL data with length 5 left no error");
    CHECK(extism_plugin_call_with_host_context(plugin, NULL, NULL, 0, NULL) == -1,
          "call_with_host_context of a NULL name");
    CHECK(extism_plugin_error(plugin) != NULL, "NULL name left no error");
    CHECK(extism_plugin_call_with_host_context(plugin, "run", NULL, 0, NULL) == 0,
          "call_with_host_context with a NULL context");
    CHECK(extism_plugin_call_with_host_context(plugin, "run", NULL, 3, NULL) == -1,
          "call_with_host_context with NULL data and length 3");
    CHECK(extism_plugin_function_exists(NULL, "run") == false, "function_exists on NULL");
    CHECK(extism_plugin_function_exists(plugin, NULL) == false, "function_exists of NULL");
    CHECK(extism_plugin_function_exists(plugin, "run"), "run not found");

    /* Queries. */
    CHECK(extism_plugin_error(NULL) == NULL, "extism_plugin_error(NULL)");
    CHECK(extism_error(NULL) == NULL, "extism_error(NULL)");
    CHECK(extism_plugin_output_length(NULL) == 0, "output_length(NULL)");
    CHECK(extism_plugin_output_data(NULL) == NULL, "output_data(NULL)");
    CHECK(extism_plugin_id(NULL) == NULL, "extism_plugin_id(NULL)");
    CHECK(extism_plugin_exports(NULL) == NULL, "extism_plugin_exports(NULL)");
    CHECK(extism_plugin_reset(NULL) == false, "reset(NULL)");

    /* Config. */
    CHECK(!extism_plugin_config(NULL, (const uint8_t *)"{}", 2), "config on NULL plugin");
    CHECK(!extism_plugin_config(plugin, NULL, 0), "config with NULL json, length 0");
    CHECK(!extism_plugin_config(plugin, NULL, 5), "config with NULL json, length 5");
    CHECK(extism_plugin_config(plugin, (const uint8_t *)"{}", 2), "config {} refused");

    /* Cancellation: NULL handles are refused; an idle cancel is accepted and harmless. */
    CHECK(extism_plugin_cancel_handle(NULL) == NULL, "cancel_handle(NULL)");
    CHECK(!extism_plugin_cancel(NULL), "cancel(NULL)");
    cancel = extism_plugin_cancel_handle(plugin);
    CHECK(cancel != NULL, "no cancel handle");
    CHECK(extism_plugin_cancel(cancel), "idle cancel refused");
    CHECK(extism_plugin_call(plugin, "run_i32", NULL, 0) == 0, "call after an idle cancel");

    /* Vars. */
    CHECK(extism_plugin_var_get(NULL, "k", &len) == NULL, "var_get on NULL plugin");
    CHECK(!extism_plugin_var_set(NULL, "k", (const uint8_t *)"v", 1), "var_set on NULL plugin");
    CHECK(!extism_plugin_var_set(plugin, NULL, (const uint8_t *)"v", 1), "var_set of NULL key");
    CHECK(!extism_plugin_var_set(plugin, "k", NULL, 3), "var_set of NULL value, length 3");
    CHECK(!extism_plugin_var_remove(NULL, "k"), "var_remove on NULL plugin");
    CHECK(!extism_plugin_var_remove(plugin, NULL), "var_remove of NULL key");
    CHECK(extism_plugin_var_set(plugin, "k", (const uint8_t *)"v", 1), "var_set refused");
    CHECK(extism_plugin_var_get(plugin, NULL, &len) == NULL, "var_get of NULL key");
    CHECK(extism_plugin_var_get(plugin, "k", NULL) == NULL, "var_get with NULL len");
    value = extism_plugin_var_get(plugin, "k", &len);
    CHECK(value != NULL && len == 1 && value[0] == 'v', "var k is not \"v\"");
    /* NULL with length 0 sets an empty value. */
    CHECK(extism_plugin_var_set(plugin, "k", NULL, 0), "var_set of NULL value, length 0");
    len = 99;
    value = extism_plugin_var_get(plugin, "k", &len);
    CHECK(value != NULL && len == 0, "var k is not empty: %p, length %llu", (const void *)value,
          (unsigned long long)len);
    CHECK(extism_plugin_var_remove(plugin, "k"), "var_remove of k");
    CHECK(extism_plugin_var_get(plugin, "k", &len) == NULL, "k still set");

    /* Per-plugin log callback. */
    CHECK(!extism_plugin_set_log_callback(NULL, ignore_log, 0, NULL), "log callback on NULL");
    CHECK(extism_plugin_set_log_callback(plugin, ignore_log, 0, NULL), "log callback refused");
    CHECK(extism_plugin_set_log_callback(plugin, NULL, 0, NULL), "removing the log callback");

    /* Host functions. */
    CHECK(extism_function_new(NULL, &i64, 1, &i64, 1, hello_world, &state, NULL) == NULL,
          "extism_function_new with a NULL name");
    CHECK(extism_function_new("hello_world", &i64, 1, &i64, 1, NULL, &state, NULL) == NULL,
          "extism_function_new with a NULL callback");
    function = extism_function_new("hello_world", &i64, 1, &i64, 1, hello_world, &state, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    /* A NULL namespace leaves the default extism:host/user. */
    extism_function_set_namespace(function, NULL);
    host = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(host != NULL, "host_fn_hello.wasm did not load");
    CHECK_CALL_OUTPUT(host, "call_hello", "abc", "abc");
    CHECK(state.calls == 1, "callback ran %d times", state.calls);
    CHECK(state.null_memory_ok, "a current-plugin function accepted NULL");

    /* Process-wide logging, last because it installs the global sink. */
    extism_log_drain(NULL);
    CHECK(extism_log_custom(NULL), "extism_log_custom(NULL) refused");
    extism_log_drain(NULL);
    CHECK(!extism_log_file(NULL, NULL), "a second sink was accepted");
    CHECK(!extism_log_custom(NULL), "a second custom sink was accepted");

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(host);
    extism_function_free(function);
    extism_plugin_free(created);
    extism_compiled_plugin_free(compiled);
    extism_plugin_free(plugin);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
