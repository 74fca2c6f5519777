/* A WASI reactor (wasi_hello.wasm): works with with_wasi, fails to link without it. */
#include <time.h>

#include "check.h"

static bool is_hex(const char *text, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)text[i])) {
            return false;
        }
    }
    return true;
}

int main(void) {
    int failed = 0;
    char *first = NULL;
    char *second = NULL;
    char *clock_text = NULL;
    char *end = NULL;
    long long seconds = 0;
    size_t len = 0;
    uint8_t *wasm = NULL;
    char *errmsg = NULL;
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *without_wasi = NULL;

    plugin = load_plugin("wasi_hello.wasm", NULL, 0, true);
    CHECK(plugin != NULL, "wasi_hello.wasm did not load with WASI");

    CHECK_CALL_OUTPUT(plugin, "greet", "Ada", "Hello, Ada!");
    CHECK_CALL_OUTPUT(plugin, "greet", "", "Hello, !");

    CHECK(extism_plugin_call(plugin, "random_bytes", NULL, 0) == 0, "random_bytes: %s",
          text_or_null(extism_plugin_error(plugin)));
    first = output_string(plugin);
    CHECK(first != NULL && strlen(first) == 32 && is_hex(first, 32),
          "random_bytes output %s is not 32 hex characters", text_or_null(first));
    CHECK(extism_plugin_call(plugin, "random_bytes", NULL, 0) == 0, "random_bytes: %s",
          text_or_null(extism_plugin_error(plugin)));
    second = output_string(plugin);
    CHECK(second != NULL && strlen(second) == 32 && is_hex(second, 32),
          "random_bytes output %s is not 32 hex characters", text_or_null(second));
    CHECK(strcmp(first, second) != 0, "two calls gave the same random bytes %s", first);

    CHECK(extism_plugin_call(plugin, "clock", NULL, 0) == 0, "clock: %s",
          text_or_null(extism_plugin_error(plugin)));
    clock_text = output_string(plugin);
    CHECK(clock_text != NULL && isdigit((unsigned char)clock_text[0]), "clock output %s",
          text_or_null(clock_text));
    seconds = strtoll(clock_text, &end, 10);
    CHECK(*end == '\0', "clock output \"%s\" is not a decimal number", clock_text);
    CHECK(seconds > 1700000000LL, "clock gave %lld", seconds);
    CHECK(seconds <= (long long)time(NULL) + 86400, "clock gave %lld, in the future", seconds);

    wasm = read_file(plugin_path("wasi_hello.wasm"), &len);
    CHECK(wasm != NULL, "cannot read wasi_hello.wasm");
    without_wasi = extism_plugin_new(wasm, len, NULL, 0, false, &errmsg);
    CHECK(without_wasi == NULL, "wasi_hello.wasm loaded without WASI");
    CHECK_STR_PREFIX(errmsg, "Unable to compile Extism plugin: ");
    CHECK_STR_CONTAINS(errmsg, "wasi_snapshot_preview1");

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(without_wasi);
    extism_plugin_free(plugin);
    free(wasm);
    free(clock_text);
    free(second);
    free(first);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
