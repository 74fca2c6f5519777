/* Host functions with every usable value type as parameter and result, several results, and
 * what happens when a callback changes the type tag of an output. */
#include "check.h"

struct types_state {
    int calls;
    int problems;          /* arguments or pre-filled outputs that were not as documented */
    bool retag_add_output; /* makes add_i32 change outputs[0].t to I64 */
};

static void note(struct types_state *state, bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "callback: %s\n", what);
        state->problems++;
    }
}

static void check_shape(struct types_state *state, const ExtismVal *inputs, ExtismSize n_inputs,
                        const ExtismVal *outputs, ExtismSize n_outputs, ExtismValType in_type,
                        ExtismSize want_inputs, ExtismValType out_type) {
    ExtismSize i;
    state->calls++;
    note(state, n_inputs == want_inputs, "wrong number of inputs");
    note(state, n_outputs == 1, "wrong number of outputs");
    for (i = 0; i < n_inputs; i++) {
        note(state, inputs[i].t == in_type, "wrong input type tag");
    }
    note(state, outputs[0].t == out_type, "output not pre-filled with its declared type");
    note(state, outputs[0].v.i64 == 0, "output not pre-filled with 0");
}

EXTISM_FUNCTION(host_hello_world);
EXTISM_FUNCTION(host_add_i32);

void host_hello_world(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                      ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)plugin;
    check_shape(data, inputs, n_inputs, outputs, n_outputs, ExtismValType_I64, 1,
                ExtismValType_I64);
    outputs[0].v.i64 = inputs[0].v.i64;
}

void host_add_i32(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                  ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct types_state *state = data;
    (void)plugin;
    check_shape(state, inputs, n_inputs, outputs, n_outputs, ExtismValType_I32, 2,
                ExtismValType_I32);
    note(state, inputs[0].v.i32 == 40 && inputs[1].v.i32 == 2, "add_i32 arguments");
    outputs[0].v.i32 = inputs[0].v.i32 + inputs[1].v.i32;
    if (state->retag_add_output) {
        outputs[0].t = ExtismValType_I64;
        outputs[0].v.i64 = 42;
    }
}

static void host_add_i64(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                         ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct types_state *state = data;
    (void)plugin;
    check_shape(state, inputs, n_inputs, outputs, n_outputs, ExtismValType_I64, 2,
                ExtismValType_I64);
    note(state, inputs[0].v.i64 == (INT64_C(1) << 40) && inputs[1].v.i64 == 2, "add_i64 args");
    outputs[0].v.i64 = inputs[0].v.i64 + inputs[1].v.i64;
}

static void host_mul_f32(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                         ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct types_state *state = data;
    (void)plugin;
    check_shape(state, inputs, n_inputs, outputs, n_outputs, ExtismValType_F32, 2,
                ExtismValType_F32);
    note(state, inputs[0].v.f32 == 1.5f && inputs[1].v.f32 == 4.0f, "mul_f32 arguments");
    outputs[0].v.f32 = inputs[0].v.f32 * inputs[1].v.f32;
}

static void host_mul_f64(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                         ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct types_state *state = data;
    (void)plugin;
    check_shape(state, inputs, n_inputs, outputs, n_outputs, ExtismValType_F64, 2,
                ExtismValType_F64);
    note(state, inputs[0].v.f64 == 2.5 && inputs[1].v.f64 == 4.0, "mul_f64 arguments");
    outputs[0].v.f64 = inputs[0].v.f64 * inputs[1].v.f64;
}

static void host_pair(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                      ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct types_state *state = data;
    (void)plugin;
    state->calls++;
    note(state, inputs == NULL && n_inputs == 0, "pair: inputs not NULL/0");
    note(state, n_outputs == 2, "pair: not 2 outputs");
    note(state, outputs[0].t == ExtismValType_I32 && outputs[1].t == ExtismValType_I64,
         "pair: output types");
    note(state, outputs[0].v.i64 == 0 && outputs[1].v.i64 == 0, "pair: outputs not 0");
    outputs[0].v.i32 = -7;
    outputs[1].v.i64 = INT64_C(-9000000000);
}

static void host_shout(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                       ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    host_hello_world(plugin, inputs, n_inputs, outputs, n_outputs, data);
}

int main(void) {
    int failed = 0;
    size_t i;
    struct types_state state = {0, 0, false};
    const ExtismValType i32x2[] = {ExtismValType_I32, ExtismValType_I32};
    const ExtismValType i64x2[] = {ExtismValType_I64, ExtismValType_I64};
    const ExtismValType f32x2[] = {ExtismValType_F32, ExtismValType_F32};
    const ExtismValType f64x2[] = {ExtismValType_F64, ExtismValType_F64};
    const ExtismValType pair_results[] = {ExtismValType_I32, ExtismValType_I64};
    const ExtismValType ptr = EXTISM_PTR;
    ExtismFunction *functions[7] = {NULL};
    ExtismPlugin *plugin = NULL;

    CHECK(sizeof(ExtismVal) == 16 || sizeof(void *) != 8, "sizeof(ExtismVal) is %zu",
          sizeof(ExtismVal));
    functions[0] =
        extism_function_new("hello_world", &ptr, 1, &ptr, 1, host_hello_world, &state, NULL);
    functions[1] = extism_function_new("add_i32", i32x2, 2, i32x2, 1, host_add_i32, &state, NULL);
    functions[2] = extism_function_new("add_i64", i64x2, 2, i64x2, 1, host_add_i64, &state, NULL);
    functions[3] = extism_function_new("mul_f32", f32x2, 2, f32x2, 1, host_mul_f32, &state, NULL);
    functions[4] = extism_function_new("mul_f64", f64x2, 2, f64x2, 1, host_mul_f64, &state, NULL);
    functions[5] = extism_function_new("pair", NULL, 0, pair_results, 2, host_pair, &state, NULL);
    functions[6] = extism_function_new("shout", &ptr, 1, &ptr, 1, host_shout, &state, NULL);
    for (i = 0; i < 7; i++) {
        CHECK(functions[i] != NULL, "extism_function_new failed for function %zu", i);
    }
    extism_function_set_namespace(functions[6], "custom");

    plugin = load_plugin("host_fn.wasm", (const ExtismFunction **)functions, 7, false);
    CHECK(plugin != NULL, "host_fn.wasm did not load");

    CHECK_CALL_OUTPUT(plugin, "call_hello", "handle in, handle out", "handle in, handle out");
    CHECK_CALL_OUTPUT(plugin, "call_add_i32", "", "42");
    CHECK_CALL_OUTPUT(plugin, "call_add_i64", "", "1099511627778");
    CHECK_CALL_OUTPUT(plugin, "call_mul_f32", "", "6");
    CHECK_CALL_OUTPUT(plugin, "call_mul_f64", "", "10");
    CHECK_CALL_OUTPUT(plugin, "call_pair", "", "-7,-9000000000");
    CHECK_CALL_OUTPUT(plugin, "call_shout", "shout", "shout");
    CHECK(state.calls == 7, "callbacks ran %d times, expected 7", state.calls);
    CHECK(state.problems == 0, "%d problems seen by the callbacks", state.problems);

    /* A callback that changes an output's type tag fails the call. */
    state.retag_add_output = true;
    CHECK(extism_plugin_call(plugin, "call_add_i32", NULL, 0) == -1,
          "a retagged output did not fail the call");
    CHECK(extism_plugin_error(plugin) != NULL, "a retagged output left no error");
    printf("retagged output: %s\n", extism_plugin_error(plugin));
    state.retag_add_output = false;
    CHECK_CALL_OUTPUT(plugin, "call_add_i32", "", "42");
    CHECK(state.calls == 9, "callbacks ran %d times, expected 9", state.calls);

cleanup:
    extism_plugin_free(plugin);
    for (i = 0; i < 7; i++) {
        extism_function_free(functions[i]);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
