/* Misuse of the process-wide logging functions: non-UTF-8 file names and levels, files that
 * cannot be opened, draining with nothing installed, a level name in mixed case, and every
 * second installation. A refused installation installs nothing (docs/abi.md 3.10, 8.6, D7). */
#include <sys/stat.h>
#include <unistd.h>

#include "api_misuse.h"

static int lines;

static void count_line(const char *data, ExtismSize size) {
    (void)data;
    (void)size;
    lines++;
}

int main(void) {
    int failed = 0;
    char directory[] = "/tmp/extism-api-misuse-log-XXXXXX";
    char missing[sizeof directory + 32];
    bool made_directory = false;
    ExtismPlugin *plugin = load_plugin("log.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "log.wasm did not load");

    CHECK(mkdtemp(directory) != NULL, "mkdtemp failed");
    made_directory = true;
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.log", directory);

    /* Draining before any sink does nothing. */
    extism_log_drain(count_line);
    CASE(lines == 0, "drained %d lines without a sink", lines);

    /* Refused installations. */
    CASE(!extism_log_file(NOT_UTF8, "info"), "a non-UTF-8 file name was accepted");
    CASE(!extism_log_file("stderr", NOT_UTF8), "a non-UTF-8 level was accepted");
    CASE(!extism_log_file(NULL, NOT_UTF8), "a non-UTF-8 level was accepted for stderr");
    CASE(!extism_log_custom(NOT_UTF8), "a non-UTF-8 level was accepted for the buffer");
    CASE(!extism_log_custom("info" NOT_UTF8), "a level with a non-UTF-8 tail was accepted");
    CASE(!extism_log_file(missing, "info"), "a file in a missing directory was accepted");
    CASE(!extism_log_file(directory, "info"), "a directory was accepted as a log file");
    CASE(access(missing, F_OK) != 0, "a refused log file was created");

    /* None of them installed a sink: the guest sees logging off and nothing is buffered. */
    CASE_CALL(plugin, "level", "", "2147483647");
    CASE_CALL(plugin, "log_all", "", "2147483647");
    extism_log_drain(count_line);
    CASE(lines == 0, "drained %d lines after refused installations", lines);

    /* A bare level is matched case-insensitively. */
    CASE(extism_log_custom("WaRn"), "a mixed-case level was refused");
    CASE_CALL(plugin, "level", "", "3");
    CASE_CALL(plugin, "log_all", "", "3");
    extism_log_drain(NULL);
    extism_log_drain(count_line);
    CASE(lines >= 2, "drained %d lines after logging at warn and error", lines);
    lines = 0;
    extism_log_drain(count_line);
    CASE(lines == 0, "a second drain returned %d lines", lines);

    /* Every later installation is refused, whatever its arguments. */
    CASE(!extism_log_custom("trace"), "a second buffer sink");
    CASE(!extism_log_custom(NULL), "a second buffer sink with a NULL level");
    CASE(!extism_log_file(NULL, NULL), "a second sink on stderr");
    CASE(!extism_log_file("stdout", "trace"), "a second sink on stdout");
    CASE(!extism_log_file(NOT_UTF8, NOT_UTF8), "a second sink with non-UTF-8 arguments");
    CASE_CALL(plugin, "level", "", "3");

    report_cases("log");

cleanup:
    if (made_directory) {
        rmdir(directory);
    }
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
