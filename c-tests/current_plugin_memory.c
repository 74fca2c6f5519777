/* Extism memory from inside a host function: read the argument block through
 * extism_current_plugin_memory, allocate a result block, write it, free the argument, and the
 * edge cases of _length and _alloc. */
#include "check.h"

struct memory_state {
    int calls;
    int problems;
};

static void note(struct memory_state *state, bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "callback: %s\n", what);
        state->problems++;
    }
}

/* Returns a new block holding the argument block's bytes in reverse order. */
static void reverse_block(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                          ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct memory_state *state = data;
    ExtismMemoryHandle in = (ExtismMemoryHandle)inputs[0].v.i64;
    ExtismMemoryHandle out = 0;
    ExtismSize len, i;
    uint8_t *base = extism_current_plugin_memory(plugin);

    (void)n_inputs;
    (void)n_outputs;
    state->calls++;
    note(state, base != NULL, "memory base is NULL");
    note(state, extism_current_plugin_memory_length(plugin, 0) == 0, "length(0) != 0");
    note(state, extism_current_plugin_memory_length(plugin, UINT64_C(0xffffffffff)) == 0,
         "length of an unknown handle != 0");
    note(state, extism_current_plugin_memory_alloc(plugin, 0) == 0, "alloc(0) != 0");
    len = extism_current_plugin_memory_length(plugin, in);
    if (in == 0) {
        note(state, len == 0, "empty input with a length");
        outputs[0].v.i64 = 0;
        return;
    }
    if (len >= 2) {
        note(state, extism_current_plugin_memory_length(plugin, in + 1) == 0,
             "length of an interior offset != 0");
    }

    out = extism_current_plugin_memory_alloc(plugin, len);
    note(state, out != 0, "alloc failed");
    if (out == 0) {
        outputs[0].v.i64 = 0;
        return;
    }
    note(state, out != in, "alloc returned the live argument block");
    note(state, extism_current_plugin_memory_length(plugin, out) == len, "length of new block");
    /* The base may move on allocation. */
    base = extism_current_plugin_memory(plugin);
    for (i = 0; i < len; i++) {
        base[out + i] = base[in + len - 1 - i];
    }
    extism_current_plugin_memory_free(plugin, in);
    note(state, extism_current_plugin_memory_length(plugin, in) == 0, "freed block has a length");
    extism_current_plugin_memory_free(plugin, in);
    extism_current_plugin_memory_free(plugin, 0);
    note(state, extism_current_plugin_memory_length(plugin, out) == len, "result block damaged");
    outputs[0].v.i64 = (int64_t)out;
}

int main(void) {
    int failed = 0;
    static const size_t sizes[] = {0, 1, 7, 8, 9, 4096, 65539};
    const ExtismValType ptr = EXTISM_PTR;
    struct memory_state state = {0, 0};
    size_t i, j, len;
    uint8_t *input = NULL;
    uint8_t *expected = NULL;
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;

    input = malloc(65539);
    expected = malloc(65539);
    CHECK(input != NULL && expected != NULL, "out of memory");
    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, reverse_block, &state, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "host_fn_hello.wasm did not load");

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        len = sizes[i];
        for (j = 0; j < len; j++) {
            input[j] = (uint8_t)(j * 7 + len);
            expected[len - 1 - j] = input[j];
        }
        CHECK(call_output_equals(plugin, "call_hello", input, len, expected, len),
              "reversing %zu bytes", len);
        CHECK(state.problems == 0, "%d problems seen by the callback at %zu bytes", state.problems,
              len);
    }
    CHECK(state.calls == (int)(sizeof sizes / sizeof sizes[0]), "callback ran %d times",
          state.calls);

cleanup:
    extism_plugin_free(plugin);
    extism_function_free(function);
    free(expected);
    free(input);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
