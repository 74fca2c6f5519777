/* The function array of the constructors: a registered function cannot be registered again,
 * a NULL element is refused, and extism_function_new refuses value types that host functions
 * cannot carry (docs/abi.md 3.5, D7). */
#include "check.h"

static void hello_world(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                        ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)plugin;
    (void)n_inputs;
    (void)n_outputs;
    (*(int *)data)++;
    outputs[0].v.i64 = inputs[0].v.i64;
}

static ExtismFunction *function_with_type(ExtismValType type, bool as_input, int *calls) {
    const ExtismValType ptr = EXTISM_PTR;
    return extism_function_new("hello_world", as_input ? &type : &ptr, 1, as_input ? &ptr : &type,
                               1, hello_world, calls, NULL);
}

int main(void) {
    int failed = 0;
    int calls = 0;
    size_t i, len = 0;
    static const int refused_types[] = {4, 5, 6, 7, 99, -1};
    const ExtismValType ptr = EXTISM_PTR;
    uint8_t *wasm = NULL;
    char *errmsg = NULL;
    ExtismFunction *function = NULL;
    ExtismFunction *refused = NULL;
    const ExtismFunction *with_null[2] = {NULL, NULL};
    ExtismPlugin *first = NULL;
    ExtismPlugin *second = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    wasm = read_file(plugin_path("host_fn_hello.wasm"), &len);
    CHECK(wasm != NULL, "cannot read host_fn_hello.wasm");

    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, hello_world, &calls, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    first = extism_plugin_new(wasm, len, (const ExtismFunction **)&function, 1, false, &errmsg);
    CHECK(first != NULL, "first registration failed: %s", text_or_null(errmsg));

    second = extism_plugin_new(wasm, len, (const ExtismFunction **)&function, 1, false, &errmsg);
    CHECK(second == NULL, "a function was registered twice");
    CHECK_STR_EQ(errmsg, "Function cannot be registered with multiple different Plugins");
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    compiled = extism_compiled_plugin_new(wasm, len, (const ExtismFunction **)&function, 1, false,
                                          &errmsg);
    CHECK(compiled == NULL, "a registered function was compiled into another plugin");
    CHECK_STR_EQ(errmsg, "Function cannot be registered with multiple different Plugins");
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    /* The first plugin keeps its function. */
    CHECK_CALL_OUTPUT(first, "call_hello", "still mine", "still mine");
    CHECK(calls == 1, "callback ran %d times", calls);

    second = extism_plugin_new(wasm, len, with_null, 1, false, &errmsg);
    CHECK(second == NULL, "a NULL function was accepted");
    CHECK_STR_EQ(errmsg, "Cannot pass null pointer");
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    compiled = extism_compiled_plugin_new(wasm, len, with_null, 2, false, &errmsg);
    CHECK(compiled == NULL, "a NULL function was compiled");
    CHECK_STR_EQ(errmsg, "Cannot pass null pointer");
    extism_plugin_new_error_free(errmsg);
    errmsg = NULL;

    /* V128, FuncRef, ExternRef and values outside 0..6 are refused, as inputs and outputs. */
    for (i = 0; i < sizeof refused_types / sizeof refused_types[0]; i++) {
        refused = function_with_type((ExtismValType)refused_types[i], true, &calls);
        CHECK(refused == NULL, "input type %d accepted", refused_types[i]);
        refused = function_with_type((ExtismValType)refused_types[i], false, &calls);
        CHECK(refused == NULL, "output type %d accepted", refused_types[i]);
    }
    /* The four number types are accepted. */
    for (i = 0; i < 4; i++) {
        refused = function_with_type((ExtismValType)i, true, &calls);
        CHECK(refused != NULL, "input type %zu refused", i);
        extism_function_free(refused);
        refused = function_with_type((ExtismValType)i, false, &calls);
        CHECK(refused != NULL, "output type %zu refused", i);
        extism_function_free(refused);
        refused = NULL;
    }
    /* A NULL type array counts as empty, whatever its count. */
    refused = extism_function_new("nothing", NULL, 4, NULL, 2, hello_world, &calls, NULL);
    CHECK(refused != NULL, "NULL type arrays refused");

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_function_free(refused);
    extism_compiled_plugin_free(compiled);
    extism_plugin_free(second);
    extism_plugin_free(first);
    extism_function_free(function);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
