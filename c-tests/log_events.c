/* The runtime's own log events at trace and debug level (docs/abi.md 8.6): a failed creation
 * from an empty manifest logs the manifest's loading under extism::manifest, and a call logs
 * the function, the input size and the return code, tagged with the plugin's id. */
#include "check.h"

#define MAX_LINES 512

static int count;
static char *lines[MAX_LINES];

static void collect_line(const char *data, ExtismSize size) {
    if (count < MAX_LINES) {
        lines[count] = malloc((size_t)size + 1);
        if (lines[count] != NULL) {
            memcpy(lines[count], data, (size_t)size + 1);
            count++;
        }
    }
}

static void clear_lines(void) {
    for (int i = 0; i < count; i++) {
        free(lines[i]);
    }
    count = 0;
}

/* The first drained line that contains every one of the (up to three) needles, or NULL. */
static const char *find_line(const char *a, const char *b, const char *c) {
    for (int i = 0; i < count; i++) {
        if (strstr(lines[i], a) && (!b || strstr(lines[i], b)) && (!c || strstr(lines[i], c))) {
            return lines[i];
        }
    }
    return NULL;
}

int main(void) {
    int failed = 0;
    char id[37];
    char *errmsg = NULL;
    ExtismPlugin *plugin = NULL;
    const uint8_t *raw = NULL;

    CHECK(extism_log_custom("trace"), "extism_log_custom failed");
    CHECK(extism_plugin_new((const uint8_t *)"", 0, NULL, 0, false, &errmsg) == NULL,
          "an empty manifest made a plugin");
    extism_log_drain(collect_line);
    CHECK(find_line("extism::manifest", "Loading manifest", NULL) != NULL,
          "no extism::manifest line among %d drained", count);
    CHECK(find_line("extism::manifest", "TOML", NULL) != NULL,
          "the manifest's kind was not logged");
    clear_lines();

    plugin = load_plugin("noop.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "noop.wasm did not load");
    extism_log_drain(collect_line);
    raw = extism_plugin_id(plugin);
    snprintf(id, sizeof id, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9],
             raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]);
    CHECK(find_line("extism::plugin", "created", id) != NULL, "the creation of %s was not logged",
          id);
    clear_lines();
    CHECK(extism_plugin_call(plugin, "run_i32", (const uint8_t *)"hello", 5) == 0,
          "run_i32 failed");
    extism_log_drain(collect_line);
    CHECK(find_line("DEBUG", "run_i32", "input size: 5") != NULL, "the call was not logged");
    CHECK(find_line("run_i32", "input size: 5", id) != NULL, "the call's line lacks the plugin id");
    CHECK(find_line("run_i32", "returned code 0", id) != NULL, "the return code was not logged");

cleanup:
    clear_lines();
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : 0;
}
