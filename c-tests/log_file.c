/* extism_log_file with a file path (docs/abi.md 3.10, 8.6): a path that cannot be opened is refused
 * (D7) and installs nothing; a good path installs the process-wide sink once; the plugin's
 * info, warn and error messages reach the file, without colours, under target extism::pdk and
 * with the plugin's id, while trace and debug messages do not; get_log_level answers 2. */
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

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

/* The line of `text` that contains `needle`, copied into `line`; false if there is none. */
static bool find_line(const char *text, const char *needle, char *line, size_t size) {
    const char *hit = strstr(text, needle);
    const char *start, *end;
    size_t len;
    if (hit == NULL) {
        return false;
    }
    for (start = hit; start > text && start[-1] != '\n'; start--) {
    }
    end = strchr(hit, '\n');
    len = end ? (size_t)(end - start) : strlen(start);
    if (len >= size) {
        len = size - 1;
    }
    memcpy(line, start, len);
    line[len] = '\0';
    return true;
}

int main(void) {
    int failed = 0;
    int i;
    char dir[] = "/tmp/extism_log_file_XXXXXX";
    bool have_dir = false;
    char path[256];
    char uuid[37];
    char plugin_field[64];
    char line[1024];
    size_t len = 0;
    char *text = NULL;
    static const char *const shown[] = {" INFO extism::pdk: i ", " WARN extism::pdk: w ",
                                        "ERROR extism::pdk: e "};
    ExtismPlugin *plugin = NULL;

    /* Refused first: once a sink is installed every later install is refused anyway. */
    CHECK(!extism_log_file("/nonexistent/dir/x.log", "info"),
          "a log file in a missing directory was accepted");

    plugin = load_plugin("log.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "log.wasm did not load");
    format_uuid(extism_plugin_id(plugin), uuid);
    snprintf(plugin_field, sizeof plugin_field, "plugin=\"%s\"", uuid);
    /* The refused install left logging off. */
    CHECK_CALL_OUTPUT(plugin, "level", "", "2147483647");

    CHECK(mkdtemp(dir) != NULL, "mkdtemp failed");
    have_dir = true;
    snprintf(path, sizeof path, "%s/extism.log", dir);
    CHECK(extism_log_file(path, "info"), "extism_log_file(\"%s\", \"info\") refused", path);
    CHECK(!extism_log_file(path, "info"), "a second extism_log_file was accepted");
    CHECK(!extism_log_custom("info"), "extism_log_custom was accepted after extism_log_file");

    CHECK_CALL_OUTPUT(plugin, "level", "", "2");
    CHECK_CALL_OUTPUT(plugin, "log_all", "", "2");

    text = (char *)read_file(path, &len);
    CHECK(text != NULL, "cannot read the log file %s", path);
    printf("log file:\n%s", text);
    CHECK(len > 0 && text[len - 1] == '\n', "the log does not end with a newline");
    CHECK(strchr(text, '\x1b') == NULL, "the log file has ANSI escapes");
    for (i = 0; i < 3; i++) {
        CHECK(find_line(text, shown[i], line, sizeof line), "no line with \"%s\"", shown[i]);
        CHECK(strstr(line, plugin_field) != NULL, "the line \"%s\" lacks %s", line, plugin_field);
    }
    CHECK(strstr(text, "extism::pdk: t") == NULL, "a trace message was logged at level info");
    CHECK(strstr(text, "extism::pdk: d") == NULL, "a debug message was logged at level info");

cleanup:
    free(text);
    extism_plugin_free(plugin);
    if (have_dir) {
        unlink(path);
        rmdir(dir);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
