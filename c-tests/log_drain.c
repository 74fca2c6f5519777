/* Process-wide logging into memory: extism_log_custom, extism_log_drain, the guest's
 * get_log_level, and the shape of the drained lines (docs/abi.md 3.10, 8.6). */
#include "check.h"

#define MAX_LINES 256

struct drained {
    int count;
    int bad_terminator;
    char *lines[MAX_LINES];
};

static struct drained drained;

static void collect_line(const char *data, ExtismSize size) {
    char *copy;
    if (data[size] != '\0' || size == 0 || data[size - 1] != '\n') {
        drained.bad_terminator++;
    }
    if (drained.count >= MAX_LINES) {
        return;
    }
    copy = malloc((size_t)size + 1);
    if (copy != NULL) {
        memcpy(copy, data, (size_t)size + 1);
    }
    drained.lines[drained.count++] = copy;
}

static void clear_lines(void) {
    int i;
    for (i = 0; i < drained.count; i++) {
        free(drained.lines[i]);
        drained.lines[i] = NULL;
    }
    drained.count = 0;
    drained.bad_terminator = 0;
}

/* Formats a plugin id as a lowercase hyphenated UUID. */
static void format_uuid(const uint8_t *id, char out[37]) {
    int i, o = 0;
    for (i = 0; i < 16; i++) {
        o += sprintf(out + o, "%02x", id[i]);
        if (i == 3 || i == 5 || i == 7 || i == 9) {
            out[o++] = '-';
        }
    }
    out[o] = '\0';
}

int main(void) {
    int failed = 0;
    int i, pdk_lines = 0;
    char uuid[37];
    char plugin_field[64];
    static const char *const expected[] = {"INFO extism::pdk: i", "WARN extism::pdk: w",
                                           "ERROR extism::pdk: e"};
    ExtismPlugin *plugin = load_plugin("log.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "log.wasm did not load");
    format_uuid(extism_plugin_id(plugin), uuid);
    snprintf(plugin_field, sizeof plugin_field, "plugin=\"%s\"", uuid);

    /* Without a sink nothing is logged and the level is "off". */
    CHECK_CALL_OUTPUT(plugin, "level", "", "2147483647");
    extism_log_drain(collect_line);
    CHECK(drained.count == 0, "drained %d lines without a sink", drained.count);

    CHECK(extism_log_custom("info"), "extism_log_custom refused");
    CHECK(!extism_log_custom("trace"), "a second sink was accepted");
    CHECK(!extism_log_file("stderr", "trace"), "a file sink was accepted after a custom one");
    CHECK_CALL_OUTPUT(plugin, "level", "", "2");

    CHECK_CALL_OUTPUT(plugin, "log_all", "", "2");
    extism_log_drain(collect_line);
    CHECK(drained.bad_terminator == 0, "%d lines without a trailing newline and NUL",
          drained.bad_terminator);
    for (i = 0; i < drained.count; i++) {
        CHECK(drained.lines[i] != NULL, "out of memory");
        printf("drained: %s", drained.lines[i]);
        if (strstr(drained.lines[i], "extism::pdk") == NULL) {
            continue;
        }
        CHECK(pdk_lines < 3, "more than three plugin messages at level info");
        CHECK_STR_CONTAINS(drained.lines[i], expected[pdk_lines]);
        CHECK_STR_CONTAINS(drained.lines[i], plugin_field);
        pdk_lines++;
    }
    CHECK(pdk_lines == 3, "%d plugin messages, expected 3 (info, warn, error)", pdk_lines);

    /* Draining empties the buffer. */
    clear_lines();
    extism_log_drain(collect_line);
    CHECK(drained.count == 0, "a second drain returned %d lines", drained.count);

cleanup:
    clear_lines();
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
