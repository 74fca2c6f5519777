/* extism_function_set_namespace: an import from module `custom` binds to the function in that
 * namespace, never to a same-named function in the default extism:host/user. */
#include "check.h"

struct namespace_counts {
    int custom_shout;
    int default_shout;
    int others;
};

static void shout_custom(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                         ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)plugin;
    (void)n_inputs;
    (void)n_outputs;
    ((struct namespace_counts *)data)->custom_shout++;
    outputs[0].v.i64 = inputs[0].v.i64;
}

static void shout_default(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                          ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)plugin;
    (void)inputs;
    (void)n_inputs;
    (void)n_outputs;
    ((struct namespace_counts *)data)->default_shout++;
    outputs[0].v.i64 = 0;
}

/* Stands in for the other imports of host_fn.wasm, which this test never calls. */
static void other_import(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                         ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)plugin;
    (void)inputs;
    (void)n_inputs;
    (void)outputs;
    (void)n_outputs;
    ((struct namespace_counts *)data)->others++;
}

/* Makes the host_fn.wasm imports other than shout; returns the number made. */
static size_t make_other_imports(ExtismFunction **functions, struct namespace_counts *counts) {
    static const ExtismValType i32x2[] = {ExtismValType_I32, ExtismValType_I32};
    static const ExtismValType i64x2[] = {ExtismValType_I64, ExtismValType_I64};
    static const ExtismValType f32x2[] = {ExtismValType_F32, ExtismValType_F32};
    static const ExtismValType f64x2[] = {ExtismValType_F64, ExtismValType_F64};
    static const ExtismValType pair[] = {ExtismValType_I32, ExtismValType_I64};
    functions[0] =
        extism_function_new("hello_world", i64x2, 1, i64x2, 1, other_import, counts, NULL);
    functions[1] = extism_function_new("add_i32", i32x2, 2, i32x2, 1, other_import, counts, NULL);
    functions[2] = extism_function_new("add_i64", i64x2, 2, i64x2, 1, other_import, counts, NULL);
    functions[3] = extism_function_new("mul_f32", f32x2, 2, f32x2, 1, other_import, counts, NULL);
    functions[4] = extism_function_new("mul_f64", f64x2, 2, f64x2, 1, other_import, counts, NULL);
    functions[5] = extism_function_new("pair", NULL, 0, pair, 2, other_import, counts, NULL);
    return 6;
}

static void free_functions(ExtismFunction **functions, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        extism_function_free(functions[i]);
        functions[i] = NULL;
    }
}

int main(void) {
    int failed = 0;
    size_t i, n;
    struct namespace_counts counts = {0, 0, 0};
    const ExtismValType ptr = EXTISM_PTR;
    ExtismFunction *functions[8] = {NULL};
    ExtismPlugin *plugin = NULL;
    size_t len = 0;
    uint8_t *wasm = NULL;
    char *errmsg = NULL;

    /* The default-namespace shout comes first, so a lookup by name alone would find it. */
    n = make_other_imports(functions, &counts);
    functions[n++] = extism_function_new("shout", &ptr, 1, &ptr, 1, shout_default, &counts, NULL);
    functions[n++] = extism_function_new("shout", &ptr, 1, &ptr, 1, shout_custom, &counts, NULL);
    for (i = 0; i < n; i++) {
        CHECK(functions[i] != NULL, "extism_function_new failed for function %zu", i);
    }
    extism_function_set_namespace(functions[7], "custom");

    plugin = load_plugin("host_fn.wasm", (const ExtismFunction **)functions, n, false);
    CHECK(plugin != NULL, "host_fn.wasm did not load");
    /* Renaming after registration has no effect. */
    extism_function_set_namespace(functions[7], "elsewhere");

    CHECK_CALL_OUTPUT(plugin, "call_shout", "quiet", "quiet");
    CHECK_CALL_OUTPUT(plugin, "call_shout", "again", "again");
    CHECK(counts.custom_shout == 2, "custom::shout ran %d times, expected 2", counts.custom_shout);
    CHECK(counts.default_shout == 0, "extism:host/user::shout ran %d times", counts.default_shout);
    CHECK(counts.others == 0, "other imports ran %d times", counts.others);
    extism_plugin_free(plugin);
    plugin = NULL;
    free_functions(functions, n);

    /* Without a shout in namespace custom, linking fails and names the import. */
    n = make_other_imports(functions, &counts);
    functions[n++] = extism_function_new("shout", &ptr, 1, &ptr, 1, shout_default, &counts, NULL);
    for (i = 0; i < n; i++) {
        CHECK(functions[i] != NULL, "extism_function_new failed for function %zu", i);
    }
    wasm = read_file(plugin_path("host_fn.wasm"), &len);
    CHECK(wasm != NULL, "cannot read host_fn.wasm");
    plugin = extism_plugin_new(wasm, len, (const ExtismFunction **)functions, n, false, &errmsg);
    CHECK(plugin == NULL, "host_fn.wasm linked without custom::shout");
    CHECK_STR_PREFIX(errmsg, "Unable to compile Extism plugin: ");
    CHECK_STR_CONTAINS(errmsg, "shout");
    CHECK(counts.default_shout == 0, "extism:host/user::shout ran");

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    free_functions(functions, 8);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
