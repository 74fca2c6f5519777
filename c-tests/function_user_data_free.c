/* free_user_data runs exactly once, when the last holder of the user data goes away: the
 * unregistered function, the last plugin, or the last of a compiled plugin and its plugins.
 * It never runs for NULL user data. */
#include "check.h"

struct user_data {
    int frees;
    int calls;
};

static int null_frees;

static void free_user_data(void *data) {
    if (data == NULL) {
        null_frees++;
        return;
    }
    ((struct user_data *)data)->frees++;
}

static void hello_world(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                        ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)plugin;
    (void)n_inputs;
    (void)n_outputs;
    if (data != NULL) {
        ((struct user_data *)data)->calls++;
    }
    outputs[0].v.i64 = inputs[0].v.i64;
}

static ExtismFunction *new_hello_world(struct user_data *data) {
    const ExtismValType ptr = EXTISM_PTR;
    return extism_function_new("hello_world", &ptr, 1, &ptr, 1, hello_world, data, free_user_data);
}

/* Plugins made from one compiled plugin share the user data; it is released after the last
 * of them. `compiled_first` picks whether the compiled plugin is freed before its plugins. */
static bool compiled_shares_user_data(bool compiled_first) {
    int failed = 0;
    size_t i;
    struct user_data data = {0, 0};
    ExtismFunction *function = new_hello_world(&data);
    ExtismCompiledPlugin *compiled = NULL;
    ExtismPlugin *plugins[3] = {NULL, NULL, NULL};

    CHECK(function != NULL, "extism_function_new failed");
    compiled =
        load_compiled_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(compiled != NULL, "host_fn_hello.wasm did not compile");
    extism_function_free(function);
    function = NULL;
    CHECK(data.frees == 0, "user data freed with the registered function");

    for (i = 0; i < 3; i++) {
        plugins[i] = extism_plugin_new_from_compiled(compiled, NULL);
        CHECK(plugins[i] != NULL, "new_from_compiled failed");
        CHECK_CALL_OUTPUT(plugins[i], "call_hello", "shared", "shared");
    }
    CHECK(data.calls == 3, "callback ran %d times, expected 3", data.calls);

    if (compiled_first) {
        extism_compiled_plugin_free(compiled);
        compiled = NULL;
        CHECK(data.frees == 0, "user data freed with the compiled plugin while plugins live");
    }
    for (i = 0; i < 3; i++) {
        CHECK(data.frees == 0, "user data freed while %zu plugins live", 3 - i);
        CHECK_CALL_OUTPUT(plugins[i], "call_hello", "still here", "still here");
        extism_plugin_free(plugins[i]);
        plugins[i] = NULL;
    }
    if (!compiled_first) {
        CHECK(data.frees == 0, "user data freed while the compiled plugin lives");
        extism_compiled_plugin_free(compiled);
        compiled = NULL;
    }
    CHECK(data.frees == 1, "user data freed %d times after the last holder, expected 1",
          data.frees);

cleanup:
    for (i = 0; i < 3; i++) {
        extism_plugin_free(plugins[i]);
    }
    extism_compiled_plugin_free(compiled);
    extism_function_free(function);
    return !failed;
}

int main(void) {
    int failed = 0;
    struct user_data never_registered = {0, 0};
    struct user_data registered = {0, 0};
    struct user_data unused = {0, 0};
    struct user_data failed_constructor = {0, 0};
    struct user_data no_destructor = {0, 0};
    const ExtismValType ptr = EXTISM_PTR;
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;

    /* Never registered: released by extism_function_free. */
    function = new_hello_world(&never_registered);
    CHECK(function != NULL, "extism_function_new failed");
    CHECK(never_registered.frees == 0, "freed before extism_function_free");
    extism_function_free(function);
    function = NULL;
    CHECK(never_registered.frees == 1, "freed %d times by extism_function_free",
          never_registered.frees);

    /* Registered: released with the plugin, not with the function wrapper. */
    function = new_hello_world(&registered);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "host_fn_hello.wasm did not load");
    extism_function_free(function);
    function = NULL;
    CHECK(registered.frees == 0, "freed with the wrapper of a registered function");
    CHECK_CALL_OUTPUT(plugin, "call_hello", "data", "data");
    CHECK(registered.calls == 1, "callback ran %d times", registered.calls);
    CHECK(registered.frees == 0, "freed by a call");
    extism_plugin_free(plugin);
    plugin = NULL;
    CHECK(registered.frees == 1, "freed %d times with the plugin", registered.frees);

    CHECK(compiled_shares_user_data(true), "compiled plugin freed first");
    CHECK(compiled_shares_user_data(false), "compiled plugin freed last");

    /* A function the module does not import is still held by the plugin. */
    function = new_hello_world(&unused);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("returns.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "returns.wasm with an unused host function did not load");
    extism_function_free(function);
    function = NULL;
    CHECK(unused.frees == 0, "unused import: freed while the plugin lives");
    extism_plugin_free(plugin);
    plugin = NULL;
    CHECK(unused.frees == 1, "unused import: freed %d times", unused.frees);

    /* A constructor that fails after taking the function still releases the data once. */
    function = new_hello_world(&failed_constructor);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = extism_plugin_new((const uint8_t *)"{\"wasm\":[]}", 11,
                               (const ExtismFunction **)&function, 1, false, NULL);
    CHECK(plugin == NULL, "an empty manifest made a plugin");
    extism_function_free(function);
    function = NULL;
    CHECK(failed_constructor.frees == 1, "failed constructor: freed %d times",
          failed_constructor.frees);

    /* NULL user data: the destructor is never called. */
    function =
        extism_function_new("hello_world", &ptr, 1, &ptr, 1, hello_world, NULL, free_user_data);
    CHECK(function != NULL, "extism_function_new failed");
    extism_function_free(function);
    function =
        extism_function_new("hello_world", &ptr, 1, &ptr, 1, hello_world, NULL, free_user_data);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "host_fn_hello.wasm did not load");
    CHECK_CALL_OUTPUT(plugin, "call_hello", "no data", "no data");
    extism_plugin_free(plugin);
    plugin = NULL;
    extism_function_free(function);
    function = NULL;
    CHECK(null_frees == 0, "free_user_data ran %d times for NULL user data", null_frees);

    /* No destructor: nothing to run, nothing to crash. */
    function =
        extism_function_new("hello_world", &ptr, 1, &ptr, 1, hello_world, &no_destructor, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "host_fn_hello.wasm did not load");
    CHECK_CALL_OUTPUT(plugin, "call_hello", "x", "x");
    CHECK(no_destructor.calls == 1 && no_destructor.frees == 0, "no-destructor data misused");

cleanup:
    extism_plugin_free(plugin);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
