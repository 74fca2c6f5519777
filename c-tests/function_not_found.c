/* Calling an export that main does not have, and extism_plugin_function_exists. */
#include "check.h"

int main(void) {
    int failed = 0;
    ExtismPlugin *noop = NULL;
    ExtismPlugin *returns = NULL;

    noop = load_plugin("noop.wasm", NULL, 0, false);
    CHECK(noop != NULL, "noop.wasm did not load");
    returns = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(returns != NULL, "returns.wasm did not load");

    CHECK(extism_plugin_call(noop, "nope", (const uint8_t *)"input", 5) == -1,
          "call of a missing export did not return -1");
    CHECK_STR_EQ(extism_plugin_error(noop), "Function not found: nope");
    CHECK(extism_plugin_output_length(noop) == 0, "missing export produced output");

    CHECK(extism_plugin_call(noop, "", NULL, 0) == -1, "call of \"\" did not return -1");
    CHECK_STR_EQ(extism_plugin_error(noop), "Function not found: ");

    /* Names are exact: no prefix or case folding. */
    CHECK(extism_plugin_call(noop, "RUN", NULL, 0) == -1, "RUN was found");
    CHECK_STR_EQ(extism_plugin_error(noop), "Function not found: RUN");

    /* A name that is not UTF-8 fails with an error of its own. */
    CHECK(extism_plugin_call(noop, "\xff\xfe", NULL, 0) == -1, "a non-UTF-8 name did not fail");
    CHECK(extism_plugin_error(noop) != NULL, "a non-UTF-8 name left no error");
    CHECK(!extism_plugin_function_exists(noop, "\xff\xfe"), "a non-UTF-8 name was found");

    CHECK(extism_plugin_call(noop, "run", NULL, 0) == 0, "run failed: %s",
          text_or_null(extism_plugin_error(noop)));
    CHECK_NO_ERROR(noop);
    CHECK(extism_plugin_call(noop, "run_i32", NULL, 0) == 0, "run_i32 failed");
    CHECK_NO_ERROR(noop);

    CHECK(extism_plugin_function_exists(noop, "run"), "run: () -> () not found");
    CHECK(extism_plugin_function_exists(noop, "run_i32"), "run_i32: () -> i32 not found");
    CHECK(!extism_plugin_function_exists(noop, "nope"), "nope found");
    CHECK(!extism_plugin_function_exists(noop, ""), "empty name found");

    /* function_exists clears the error of the last call. */
    CHECK(extism_plugin_call(noop, "nope", NULL, 0) == -1, "call of nope");
    CHECK(extism_plugin_error(noop) != NULL, "no error after a failed call");
    CHECK(!extism_plugin_function_exists(noop, "nope"), "nope found");
    CHECK(extism_plugin_error(noop) == NULL, "function_exists did not clear the error");

    /* Only () -> () and () -> i32 exports count. */
    CHECK(extism_plugin_function_exists(returns, "ret_42"), "ret_42 not found");
    CHECK(extism_plugin_function_exists(returns, "ret_none"), "ret_none not found");
    CHECK(!extism_plugin_function_exists(returns, "ret_i64"), "ret_i64: () -> i64 found");
    CHECK(!extism_plugin_function_exists(returns, "ret_f32"), "ret_f32: () -> f32 found");
    CHECK(!extism_plugin_function_exists(returns, "takes_param"), "takes_param found");
    CHECK(!extism_plugin_function_exists(returns, "two_results"), "two_results found");
    CHECK(!extism_plugin_function_exists(returns, "run"), "run found in returns.wasm");

cleanup:
    extism_plugin_free(returns);
    extism_plugin_free(noop);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
