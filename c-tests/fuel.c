/* Fuel limits (docs/abi.md 8.2): a per-call instruction budget, refilled at every call; running
 * out gives rc -1 and "plugin ran out of fuel". */
#include "check.h"

#define FUEL_ERROR "plugin ran out of fuel"

static bool check_out_of_fuel(ExtismPlugin *plugin, const char *func) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, func, NULL, 0);
    CHECK(rc == -1, "%s returned %d (error: %s)", func, rc,
          text_or_null(extism_plugin_error(plugin)));
    CHECK_STR_EQ(extism_plugin_error(plugin), FUEL_ERROR);
cleanup:
    return !failed;
}

int main(void) {
    int failed = 0;
    int i;
    size_t len = 0;
    uint8_t *wasm = NULL;
    char *errmsg = NULL;
    ExtismPlugin *traps = NULL;
    ExtismPlugin *noop = NULL;
    ExtismPlugin *from_compiled = NULL;
    ExtismCompiledPlugin *compiled = NULL;

    wasm = read_file(plugin_path("traps.wasm"), &len);
    CHECK(wasm != NULL, "cannot read traps.wasm");
    traps = extism_plugin_new_with_fuel_limit(wasm, len, NULL, 0, false, 100000, &errmsg);
    CHECK(traps != NULL, "fuel-limited traps.wasm did not load: %s", text_or_null(errmsg));

    CHECK(check_out_of_fuel(traps, "infinite_loop"), "first loop");
    /* The budget is refilled for every call. */
    CHECK(check_out_of_fuel(traps, "infinite_loop"), "second loop");
    CHECK(extism_plugin_call(traps, "unreachable", NULL, 0) == 134, "unreachable with fuel left");
    CHECK_STR_CONTAINS(extism_plugin_error(traps), "unreachable");

    compiled =
        extism_compiled_plugin_new_with_fuel_limit(wasm, len, NULL, 0, false, 100000, &errmsg);
    CHECK(compiled != NULL, "fuel-limited compile failed: %s", text_or_null(errmsg));
    from_compiled = extism_plugin_new_from_compiled(compiled, &errmsg);
    CHECK(from_compiled != NULL, "new_from_compiled failed: %s", text_or_null(errmsg));
    CHECK(check_out_of_fuel(from_compiled, "infinite_loop"), "loop from a compiled plugin");
    free(wasm);

    /* Small calls under a small budget succeed again and again. */
    wasm = read_file(plugin_path("noop.wasm"), &len);
    CHECK(wasm != NULL, "cannot read noop.wasm");
    noop = extism_plugin_new_with_fuel_limit(wasm, len, NULL, 0, false, 1000, &errmsg);
    CHECK(noop != NULL, "fuel-limited noop.wasm did not load: %s", text_or_null(errmsg));
    for (i = 0; i < 100; i++) {
        CHECK(extism_plugin_call(noop, "run_i32", NULL, 0) == 0, "call %d: %s", i,
              text_or_null(extism_plugin_error(noop)));
    }

cleanup:
    extism_plugin_new_error_free(errmsg);
    extism_plugin_free(noop);
    extism_plugin_free(from_compiled);
    extism_compiled_plugin_free(compiled);
    extism_plugin_free(traps);
    free(wasm);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
