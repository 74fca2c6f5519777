/* Misuse of the ExtismCurrentPlugin functions from inside a host function: allocations of 0
 * and of impossible sizes, lengths and frees of handles that are not live blocks, a double
 * free, allocation refused by max_pages, set_error with a non-UTF-8 or empty message, and
 * current_plugin_log with out-of-range levels or a non-UTF-8 message (docs/abi.md 3.2, 3.3, 10). */
#include "api_misuse.h"

enum mode { MEMORY, SET_ERROR_NOT_UTF8, SET_ERROR_EMPTY, LOG, ALLOC_REFUSED };

struct state {
    enum mode mode;
    int calls;
    int problems;
    int checked;
};

#define MAX_RECORDS 4

struct log_record {
    int count;
    int levels[MAX_RECORDS];
    char messages[MAX_RECORDS][64];
};

static void note(struct state *state, bool ok, const char *what) {
    state->checked++;
    if (!ok) {
        fprintf(stderr, "callback: %s\n", what);
        state->problems++;
    }
}

static void memory_misuse(ExtismCurrentPlugin *plugin, struct state *state,
                          ExtismMemoryHandle input) {
    ExtismMemoryHandle live, freed, base_end;
    ExtismSize i;
    static const ExtismSize impossible[] = {UINT64_MAX, UINT64_MAX - 7, UINT64_C(1) << 62,
                                            UINT64_C(1) << 40, UINT64_C(0x8000000000000000)};

    note(state, extism_current_plugin_memory(plugin) != NULL, "memory base is NULL");
    note(state, extism_current_plugin_memory_alloc(plugin, 0) == 0, "alloc(0) != 0");
    for (i = 0; i < sizeof impossible / sizeof impossible[0]; i++) {
        note(state, extism_current_plugin_memory_alloc(plugin, impossible[i]) == 0,
             "an impossible allocation returned a handle");
    }

    live = extism_current_plugin_memory_alloc(plugin, 32);
    freed = extism_current_plugin_memory_alloc(plugin, 32);
    note(state, live != 0 && freed != 0, "alloc(32) failed");
    extism_current_plugin_memory_free(plugin, freed);
    memset(extism_current_plugin_memory(plugin) + live, 0x5a, 32);

    /* Lengths of values that are not the start of a live block. */
    base_end = UINT64_C(1) << 32;
    note(state, extism_current_plugin_memory_length(plugin, 1) == 0, "length(1) != 0");
    note(state, extism_current_plugin_memory_length(plugin, live + 1) == 0,
         "length of an interior offset != 0");
    note(state, extism_current_plugin_memory_length(plugin, live + 31) == 0,
         "length of the last byte != 0");
    note(state, extism_current_plugin_memory_length(plugin, freed) == 0,
         "length of a freed block != 0");
    note(state, extism_current_plugin_memory_length(plugin, live + base_end) == 0,
         "length of a 32-bit alias of a live block != 0");
    note(state, extism_current_plugin_memory_length(plugin, UINT64_MAX) == 0,
         "length(UINT64_MAX) != 0");
    note(state, extism_current_plugin_memory_length(plugin, UINT64_C(0x8000000000000000)) == 0,
         "length(1 << 63) != 0");

    /* Frees of the same values, and a double free, leave the live blocks alone. */
    extism_current_plugin_memory_free(plugin, 0);
    extism_current_plugin_memory_free(plugin, 1);
    extism_current_plugin_memory_free(plugin, live + 1);
    extism_current_plugin_memory_free(plugin, freed);
    extism_current_plugin_memory_free(plugin, live + base_end);
    extism_current_plugin_memory_free(plugin, UINT64_MAX);
    extism_current_plugin_memory_free(plugin, UINT64_C(0x8000000000000000));
    note(state, extism_current_plugin_memory_length(plugin, live) == 32, "live block damaged");
    note(state, extism_current_plugin_memory(plugin)[live + 31] == 0x5a,
         "live block contents damaged");
    if (input != 0) {
        note(state, extism_current_plugin_memory_length(plugin, input) > 0,
             "the argument block was freed");
    }

    /* After a double free, two allocations are still two different blocks. */
    extism_current_plugin_memory_free(plugin, live);
    extism_current_plugin_memory_free(plugin, live);
    live = extism_current_plugin_memory_alloc(plugin, 32);
    freed = extism_current_plugin_memory_alloc(plugin, 32);
    note(state, live != 0 && freed != 0 && live != freed,
         "a double free handed one block out twice");

    /* With no host context given, there is none. */
    note(state, extism_current_plugin_host_context(plugin) == NULL,
         "a host context appeared from nowhere");
}

static void misuse(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                   ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    struct state *state = data;
    ExtismMemoryHandle input = (ExtismMemoryHandle)inputs[0].v.i64;
    (void)n_inputs;
    (void)n_outputs;
    state->calls++;
    switch (state->mode) {
    case MEMORY:
        memory_misuse(plugin, state, input);
        break;
    case SET_ERROR_NOT_UTF8:
        extism_current_plugin_set_error(plugin, "bad " NOT_UTF8 " byte");
        break;
    case SET_ERROR_EMPTY:
        extism_current_plugin_set_error(plugin, "");
        break;
    case LOG:
        extism_current_plugin_log(plugin, -1, "level -1");
        extism_current_plugin_log(plugin, 5, "level 5");
        extism_current_plugin_log(plugin, INT32_MAX, "level INT32_MAX");
        extism_current_plugin_log(plugin, INT32_MIN, "level INT32_MIN");
        extism_current_plugin_log(plugin, 3, "not " NOT_UTF8);
        extism_current_plugin_log(plugin, 4, "");
        break;
    case ALLOC_REFUSED:
        note(state, extism_current_plugin_memory_alloc(plugin, UINT64_C(4) << 20) == 0,
             "an allocation beyond max_pages returned a handle");
        break;
    }
    outputs[0].v.i64 = (int64_t)input;
}

static void record_log(int32_t level, const char *message, ExtismSize len, void *user_data) {
    struct log_record *record = user_data;
    if (record->count < MAX_RECORDS) {
        record->levels[record->count] = level;
        snprintf(record->messages[record->count], sizeof record->messages[0], "%.*s", (int)len,
                 message);
    }
    record->count++;
}

/* Calls call_hello and checks that the callback found no problem. */
static bool call_clean(ExtismPlugin *plugin, struct state *state, const char *input) {
    int failed = 0;
    int problems = state->problems;
    CASE_CALL(plugin, "call_hello", input, input);
    CHECK(state->problems == problems, "%d problems in the callback", state->problems - problems);
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    const ExtismValType ptr = EXTISM_PTR;
    struct state state = {MEMORY, 0, 0, 0};
    struct log_record record;
    char manifest[4096];
    int32_t rc;
    int distinct_checks = 0;
    ExtismFunction *function = NULL;
    ExtismFunction *limited_function = NULL;
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *limited = NULL;

    memset(&record, 0, sizeof record);
    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, misuse, &state, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    plugin = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(plugin != NULL, "host_fn_hello.wasm did not load");

    /* Memory functions, with and without an argument block, twice. */
    CHECK(call_clean(plugin, &state, "memory misuse"), "memory misuse");
    /* Each check in the callback counts as a case once, not once per call. */
    distinct_checks = state.checked;
    CHECK(call_clean(plugin, &state, ""), "memory misuse, empty input");
    CHECK(call_clean(plugin, &state, "again"), "memory misuse, again");

    /* set_error copies the message, converted lossily to UTF-8. */
    state.mode = SET_ERROR_NOT_UTF8;
    rc = extism_plugin_call(plugin, "call_hello", (const uint8_t *)"x", 1);
    CASE(rc == -1, "set_error with a non-UTF-8 message: rc %d", rc);
    CASE_ERROR_EQ(plugin, "bad " REPLACEMENT " byte");
    /* An empty message still fails the call, with the empty message. */
    state.mode = SET_ERROR_EMPTY;
    rc = extism_plugin_call(plugin, "call_hello", (const uint8_t *)"x", 1);
    CASE(rc == -1, "set_error with an empty message: rc %d", rc);
    CASE_ERROR_EQ(plugin, "");
    state.mode = MEMORY;
    CHECK(call_clean(plugin, &state, "after set_error"), "after set_error");

    /* Levels outside 0..4 are ignored; a non-UTF-8 message is converted lossily. */
    CHECK(extism_plugin_set_log_callback(plugin, record_log, 0, &record), "callback refused");
    state.mode = LOG;
    CHECK(call_clean(plugin, &state, "log"), "log");
    CASE(record.count == 2, "%d messages logged, expected 2", record.count);
    CASE(record.levels[0] == 3 && strcmp(record.messages[0], "not " REPLACEMENT) == 0,
         "first message: level %d, \"%s\"", record.levels[0], record.messages[0]);
    CASE(record.levels[1] == 4 && record.messages[1][0] == '\0', "second message: level %d, \"%s\"",
         record.levels[1], record.messages[1]);
    memset(&record, 0, sizeof record);
    CHECK(extism_plugin_set_log_callback(plugin, NULL, 0, NULL), "removal refused");
    CHECK(call_clean(plugin, &state, "log"), "log without a callback");
    CASE(record.count == 0, "%d messages after the callback was removed", record.count);

    /* An allocation that max_pages refuses returns 0 to the host function. */
    limited_function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, misuse, &state, NULL);
    CHECK(limited_function != NULL, "extism_function_new failed");
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"memory\":{\"max_pages\":4}}",
             plugin_path("host_fn_hello.wasm"));
    limited = plugin_from_text(manifest, (const ExtismFunction **)&limited_function, 1, false);
    CHECK(limited != NULL, "host_fn_hello.wasm with max_pages did not load");
    state.mode = ALLOC_REFUSED;
    rc = extism_plugin_call(limited, "call_hello", (const uint8_t *)"small", 5);
    CASE(state.problems == 0, "max_pages: the refused allocation returned a handle");
    printf("refused allocation: rc %d, error %s\n", rc, text_or_null(extism_plugin_error(limited)));
    state.mode = MEMORY;
    CHECK(call_clean(limited, &state, "after a refused allocation"), "after max_pages");

    CASE(state.problems == 0, "%d problems in callbacks", state.problems);
    misuse_cases += distinct_checks + 1;
    report_cases("current-plugin");

cleanup:
    extism_plugin_free(limited);
    extism_function_free(limited_function);
    extism_plugin_free(plugin);
    extism_function_free(function);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
