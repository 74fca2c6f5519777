/* extism_plugin_output_data / _length: what a call leaves behind, how long it stays valid,
 * and the output of a failed call. */
#include "check.h"

int main(void) {
    int failed = 0;
    const uint8_t *hello = NULL;
    const uint8_t *data = NULL;
    const uint8_t binary[] = {'a', 0, 'b', 0xff, 0};
    ExtismPlugin *returns = NULL;
    ExtismPlugin *echo = NULL;

    returns = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(returns != NULL, "returns.wasm did not load");
    echo = load_plugin("echo.wasm", NULL, 0, false);
    CHECK(echo != NULL, "echo.wasm did not load");

    /* Before any call: no output, yet a valid pointer. */
    CHECK(extism_plugin_output_length(returns) == 0, "fresh plugin has output");
    CHECK(extism_plugin_output_data(returns) != NULL, "output_data is NULL before any call");

    CHECK(extism_plugin_call(returns, "output_hello", NULL, 0) == 0, "output_hello failed: %s",
          text_or_null(extism_plugin_error(returns)));
    CHECK(extism_plugin_output_length(returns) == 5, "output length %llu",
          (unsigned long long)extism_plugin_output_length(returns));
    hello = extism_plugin_output_data(returns);
    CHECK(hello != NULL && memcmp(hello, "hello", 5) == 0, "output is not \"hello\"");

    /* Queries, config and calls on another plugin leave the output alone. */
    CHECK(extism_plugin_error(returns) == NULL, "output_hello set an error");
    CHECK(extism_plugin_function_exists(returns, "output_hello"), "output_hello not found");
    CHECK(extism_plugin_config(returns, (const uint8_t *)"{\"k\":\"v\"}", 9), "config refused");
    CHECK(extism_plugin_id(returns) != NULL, "no plugin id");
    CHECK(call_output_equals(echo, "echo", binary, sizeof binary, binary, sizeof binary),
          "echo of bytes with NULs and 0xff");
    CHECK(extism_plugin_output_data(returns) == hello, "output pointer moved between calls");
    CHECK(extism_plugin_output_length(returns) == 5, "output length changed");
    CHECK(memcmp(hello, "hello", 5) == 0, "output bytes changed");
    CHECK(extism_plugin_output_length(echo) == sizeof binary, "echo output length changed");

    /* A call that sets no output leaves length 0 and a valid pointer. */
    CHECK(extism_plugin_call(returns, "ret_none", NULL, 0) == 0, "ret_none failed");
    CHECK(extism_plugin_output_length(returns) == 0, "ret_none left %llu bytes of output",
          (unsigned long long)extism_plugin_output_length(returns));
    CHECK(extism_plugin_output_data(returns) != NULL, "output_data is NULL after ret_none");

    /* A failed call may still have set output; if it did, it is what the guest wrote. */
    CHECK(extism_plugin_call(returns, "output_then_trap", NULL, 0) == 134,
          "output_then_trap did not trap");
    CHECK(extism_plugin_error(returns) != NULL, "trap without error text");
    data = extism_plugin_output_data(returns);
    CHECK(data != NULL, "output_data is NULL after a trap");
    CHECK(extism_plugin_output_length(returns) == 0 ||
              (extism_plugin_output_length(returns) == 7 && memcmp(data, "partial", 7) == 0),
          "output after a trap is neither empty nor \"partial\"");
    printf("output after a trap: %llu bytes\n",
           (unsigned long long)extism_plugin_output_length(returns));

    /* A call of a missing export sets no output. */
    CHECK(extism_plugin_call(returns, "output_hello", NULL, 0) == 0, "output_hello failed");
    CHECK(extism_plugin_call(returns, "missing", NULL, 0) == -1, "missing export did not fail");
    CHECK(extism_plugin_output_length(returns) == 0, "failed lookup kept the previous output");

    /* Output of a guest error with a return code. */
    CHECK(extism_plugin_call(returns, "error_rc7", NULL, 0) == 7, "error_rc7");
    CHECK(extism_plugin_output_length(returns) == 0, "error_rc7 has output");

    /* Output survives the free of another plugin. */
    CHECK(extism_plugin_call(returns, "output_hello", NULL, 0) == 0, "output_hello failed");
    extism_plugin_free(echo);
    echo = NULL;
    CHECK(extism_plugin_output_length(returns) == 5 &&
              memcmp(extism_plugin_output_data(returns), "hello", 5) == 0,
          "output lost after freeing another plugin");

cleanup:
    extism_plugin_free(echo);
    extism_plugin_free(returns);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
