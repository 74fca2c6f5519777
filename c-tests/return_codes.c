/* extism_plugin_call return codes and error texts (docs/abi.md 4.1) for every export of
 * returns.wasm. */
#include "check.h"

struct expected_call {
    const char *func;
    int32_t rc;
    const char *error; /* NULL: no error expected */
};

static const struct expected_call expected_calls[] = {
    {"ret_42", 42, NULL},
    {"ret_neg", -7, NULL},
    {"ret_none", 0, NULL},
    {"ret_i64", -1, NULL},
    {"ret_f32", -1, NULL},
    {"two_results", -1, "Function two_results has 2 results, expected 0 or 1"},
    {"takes_param", -1, "expected 1 arguments, got 0"},
    {"error_rc0", 0, "guest error"},
    {"error_rc7", 7, "bad thing"},
    {"error_then_trap", -1, "failed before trap"},
    {"output_hello", 0, NULL},
};

static bool check_call(ExtismPlugin *plugin, const struct expected_call *expected) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, expected->func, NULL, 0);
    char *error = error_copy(plugin);
    const char *alias = NULL;

    CHECK(rc == expected->rc, "%s: rc %d, expected %d (error: %s)", expected->func, rc,
          expected->rc, text_or_null(error));
    if (expected->error == NULL) {
        CHECK(error == NULL, "%s: unexpected error \"%s\"", expected->func, error);
    } else {
        CHECK(error != NULL && strcmp(error, expected->error) == 0, "%s: error %s, expected \"%s\"",
              expected->func, text_or_null(error), expected->error);
    }
    /* extism_error is the deprecated alias of extism_plugin_error. */
    alias = extism_error(plugin);
    CHECK((alias == NULL) == (error == NULL) && (alias == NULL || strcmp(alias, error) == 0),
          "%s: extism_error gave %s, extism_plugin_error gave %s", expected->func,
          text_or_null(alias), text_or_null(error));

cleanup:
    free(error);
    return !failed;
}

int main(void) {
    int failed = 0;
    size_t i;
    ExtismPlugin *plugin = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "returns.wasm did not load");

    for (i = 0; i < sizeof expected_calls / sizeof expected_calls[0]; i++) {
        CHECK(check_call(plugin, &expected_calls[i]), "export %s", expected_calls[i].func);
    }

    /* Every failing export, then a successful call: the error is gone. */
    for (i = 0; i < sizeof expected_calls / sizeof expected_calls[0]; i++) {
        if (expected_calls[i].error == NULL) {
            continue;
        }
        CHECK(check_call(plugin, &expected_calls[i]), "export %s", expected_calls[i].func);
        CHECK(extism_plugin_call(plugin, "ret_42", NULL, 0) == 42, "ret_42 after %s",
              expected_calls[i].func);
        CHECK(extism_plugin_error(plugin) == NULL, "error of %s survived a successful call",
              expected_calls[i].func);
    }

    /* A trap after output: rc 134 and an error text. */
    CHECK(extism_plugin_call(plugin, "output_then_trap", NULL, 0) == 134,
          "output_then_trap did not return 134");
    CHECK(extism_plugin_error(plugin) != NULL, "output_then_trap left no error");
    CHECK(extism_plugin_call(plugin, "ret_none", NULL, 0) == EXTISM_SUCCESS, "ret_none after trap");
    CHECK_NO_ERROR(plugin);

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
