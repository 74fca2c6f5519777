/* The per-plugin log callback (docs/abi.md 10): the plugin's own log_* calls and
 * extism_current_plugin_log reach it at or above min_level, and get_log_level follows it. */
#include "check.h"

#define MAX_MESSAGES 16

struct log_record {
    int count;
    int levels[MAX_MESSAGES];
    char messages[MAX_MESSAGES][32];
    int bad;
};

static void record_log(int32_t level, const char *message, ExtismSize len, void *user_data) {
    struct log_record *record = user_data;
    if (message == NULL || message[len] != '\0' || len >= sizeof record->messages[0]) {
        record->bad++;
        return;
    }
    if (record->count < MAX_MESSAGES) {
        record->levels[record->count] = level;
        memcpy(record->messages[record->count], message, (size_t)len + 1);
    }
    record->count++;
}

static void log_from_host(ExtismCurrentPlugin *plugin, const ExtismVal *inputs, ExtismSize n_inputs,
                          ExtismVal *outputs, ExtismSize n_outputs, void *data) {
    (void)data;
    (void)n_inputs;
    (void)n_outputs;
    extism_current_plugin_log(plugin, 3, "from the host");
    extism_current_plugin_log(plugin, 0, "too verbose");
    outputs[0].v.i64 = inputs[0].v.i64;
}

static bool check_record(const struct log_record *record, const char *expected_messages,
                         int first_level) {
    int failed = 0;
    int i, n = (int)strlen(expected_messages);
    CHECK(record->bad == 0, "%d malformed messages", record->bad);
    CHECK(record->count == n, "%d messages, expected %d", record->count, n);
    for (i = 0; i < n; i++) {
        CHECK(record->messages[i][0] == expected_messages[i] && record->messages[i][1] == '\0',
              "message %d is \"%s\", expected \"%c\"", i, record->messages[i],
              expected_messages[i]);
        CHECK(record->levels[i] == first_level + i, "message %d at level %d, expected %d", i,
              record->levels[i], first_level + i);
    }
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    struct log_record record;
    const ExtismValType ptr = EXTISM_PTR;
    ExtismFunction *function = NULL;
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *host = NULL;

    memset(&record, 0, sizeof record);
    plugin = load_plugin("log.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "log.wasm did not load");

    CHECK(extism_plugin_set_log_callback(plugin, record_log, 1, &record), "callback refused");
    CHECK_CALL_OUTPUT(plugin, "level", "", "1");
    CHECK_CALL_OUTPUT(plugin, "log_all", "", "1");
    CHECK(check_record(&record, "diwe", 1), "min_level debug");

    memset(&record, 0, sizeof record);
    CHECK(extism_plugin_set_log_callback(plugin, record_log, 3, &record), "callback refused");
    CHECK_CALL_OUTPUT(plugin, "log_all", "", "3");
    CHECK(check_record(&record, "we", 3), "min_level warn");

    memset(&record, 0, sizeof record);
    CHECK(extism_plugin_set_log_callback(plugin, NULL, 0, NULL), "removal refused");
    CHECK_CALL_OUTPUT(plugin, "log_all", "", "2147483647");
    CHECK(record.count == 0, "%d messages after the callback was removed", record.count);

    /* A host function logs through the same path. */
    function = extism_function_new("hello_world", &ptr, 1, &ptr, 1, log_from_host, NULL, NULL);
    CHECK(function != NULL, "extism_function_new failed");
    host = load_plugin("host_fn_hello.wasm", (const ExtismFunction **)&function, 1, false);
    CHECK(host != NULL, "host_fn_hello.wasm did not load");
    CHECK(extism_plugin_set_log_callback(host, record_log, 1, &record), "callback refused");
    CHECK_CALL_OUTPUT(host, "call_hello", "x", "x");
    CHECK(record.bad == 0 && record.count == 1, "%d messages (%d malformed), expected 1",
          record.count, record.bad);
    CHECK(record.levels[0] == 3, "host message at level %d", record.levels[0]);
    CHECK_STR_EQ(record.messages[0], "from the host");

cleanup:
    extism_plugin_free(host);
    extism_function_free(function);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
