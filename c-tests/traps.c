/* Wasm traps: rc 134 and an error that names the cause (docs/abi.md D1); the plugin keeps working
 * after each trap. */
#include "check.h"

struct expected_trap {
    const char *func;
    const char *cause; /* matched case-insensitively */
};

static const struct expected_trap expected_traps[] = {
    {"unreachable", "unreachable"},
    {"div_zero", "divide by zero"},
    {"oob", "out of bounds"},
    {"stack_overflow", "stack"},
};

static bool check_trap(ExtismPlugin *plugin, const struct expected_trap *trap) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, trap->func, NULL, 0);
    const char *error = extism_plugin_error(plugin);

    CHECK(rc == 134, "%s: rc %d, expected 134 (error: %s)", trap->func, rc, text_or_null(error));
    CHECK_STR_CONTAINS(error, trap->cause);

cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    size_t i, j;
    const size_t n = sizeof expected_traps / sizeof expected_traps[0];
    ExtismPlugin *plugin = load_plugin("traps.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "traps.wasm did not load");

    for (i = 0; i < n; i++) {
        CHECK(check_trap(plugin, &expected_traps[i]), "first call of %s", expected_traps[i].func);
        printf("%s: %s\n", expected_traps[i].func, extism_plugin_error(plugin));
        CHECK(check_trap(plugin, &expected_traps[i]), "second call of %s", expected_traps[i].func);
    }

    /* Each trap followed by every other one: no trap poisons the plugin. */
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            CHECK(check_trap(plugin, &expected_traps[i]), "%s", expected_traps[i].func);
            CHECK(check_trap(plugin, &expected_traps[j]), "%s after %s", expected_traps[j].func,
                  expected_traps[i].func);
        }
    }

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
