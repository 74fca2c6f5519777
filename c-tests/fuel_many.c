/* Fuel (docs/abi.md 8.2): a budget of 1 runs out on every one of 10,050 calls in a row, each with
 * rc -1 and "plugin ran out of fuel"; a large budget runs count_vowels correctly, call after
 * call.
 *
 * With a budget of 1, main's start function runs out of fuel, so every call fails while
 * instantiating main. wasmtime frees a failed instance only with its store and allows 10,000
 * instances per store, so a library that kept retrying in the same store would fail these
 * calls with "instance count too high" after about 10,000 of them (and hold the dead
 * instances' memory until then). */
#include "check.h"

#define FUEL_ERROR "plugin ran out of fuel"
#define STARVED_CALLS 10050
#define OUTPUT(count, total) "{\"count\":" #count ",\"total\":" #total ",\"vowels\":\"aeiouAEIOU\"}"

int main(void) {
    int failed = 0;
    int i;
    int32_t rc;
    size_t len = 0;
    uint8_t *wasm = NULL;
    char *errmsg = NULL;
    ExtismPlugin *starved = NULL;
    ExtismPlugin *fed = NULL;

    wasm = read_file(plugin_path("count_vowels.wasm"), &len);
    CHECK(wasm != NULL, "cannot read count_vowels.wasm");

    starved = extism_plugin_new_with_fuel_limit(wasm, len, NULL, 0, false, 1, &errmsg);
    CHECK(starved != NULL, "count_vowels.wasm with fuel 1 did not load: %s", text_or_null(errmsg));
    for (i = 0; i < STARVED_CALLS; i++) {
        rc = extism_plugin_call(starved, "count_vowels", (const uint8_t *)"aeiou", 5);
        CHECK(rc == -1, "call %d with fuel 1 returned %d (error: %s)", i, rc,
              text_or_null(extism_plugin_error(starved)));
        CHECK(extism_plugin_error(starved) != NULL &&
                  strcmp(extism_plugin_error(starved), FUEL_ERROR) == 0,
              "call %d with fuel 1: error %s", i, text_or_null(extism_plugin_error(starved)));
    }

    fed = extism_plugin_new_with_fuel_limit(wasm, len, NULL, 0, false, 10000000, &errmsg);
    CHECK(fed != NULL, "count_vowels.wasm with fuel 10,000,000 did not load: %s",
          text_or_null(errmsg));
    CHECK_CALL_OUTPUT(fed, "count_vowels", "Hello, World!", OUTPUT(3, 3));
    /* The budget is refilled at every call, so it never runs dry. */
    for (i = 0; i < 50; i++) {
        rc = extism_plugin_call(fed, "count_vowels", (const uint8_t *)"aeiou", 5);
        CHECK(rc == 0, "call %d with fuel 10,000,000 returned %d (error: %s)", i, rc,
              text_or_null(extism_plugin_error(fed)));
    }
    CHECK_CALL_OUTPUT(fed, "count_vowels", "Hello, World!", OUTPUT(3, 256));

    /* The starved plugin still runs out, unaffected by its sibling's budget. */
    CHECK(extism_plugin_call(starved, "count_vowels", NULL, 0) == -1, "fuel 1 after fuel 10M");
    CHECK_STR_EQ(extism_plugin_error(starved), FUEL_ERROR);

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(fed);
    extism_plugin_free(starved);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
