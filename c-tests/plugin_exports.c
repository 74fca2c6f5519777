/* extism_plugin_exports (docs/abi.md 10): main's exported functions as a JSON array of
 * {"name","params","results"}; other kinds of exports are left out. */
#include "check.h"

int main(void) {
    int failed = 0;
    const char *exports = NULL;
    char manifest[4096];
    ExtismPlugin *noop = NULL;
    ExtismPlugin *returns = NULL;
    ExtismPlugin *wasi_exit = NULL;
    ExtismPlugin *multi = NULL;

    noop = load_plugin("noop.wasm", NULL, 0, false);
    CHECK(noop != NULL, "noop.wasm did not load");
    exports = extism_plugin_exports(noop);
    CHECK_STR_EQ(exports, "[{\"name\":\"run\",\"params\":[],\"results\":[]},"
                          "{\"name\":\"run_i32\",\"params\":[],\"results\":[\"i32\"]}]");
    /* Calls do not change it. */
    CHECK(extism_plugin_call(noop, "run", NULL, 0) == 0, "run failed");
    CHECK_STR_EQ(extism_plugin_exports(noop),
                 "[{\"name\":\"run\",\"params\":[],\"results\":[]},"
                 "{\"name\":\"run_i32\",\"params\":[],\"results\":[\"i32\"]}]");

    returns = load_plugin("returns.wasm", NULL, 0, false);
    CHECK(returns != NULL, "returns.wasm did not load");
    exports = extism_plugin_exports(returns);
    CHECK(exports != NULL, "no exports for returns.wasm");
    printf("returns.wasm: %s\n", exports);
    CHECK(exports[0] == '[' && exports[strlen(exports) - 1] == ']', "not a JSON array");
    CHECK_STR_CONTAINS(exports, "{\"name\":\"ret_i64\",\"params\":[],\"results\":[\"i64\"]}");
    CHECK_STR_CONTAINS(exports, "{\"name\":\"ret_f32\",\"params\":[],\"results\":[\"f32\"]}");
    CHECK_STR_CONTAINS(exports,
                       "{\"name\":\"two_results\",\"params\":[],\"results\":[\"i32\",\"i32\"]}");
    CHECK_STR_CONTAINS(exports,
                       "{\"name\":\"takes_param\",\"params\":[\"i32\"],\"results\":[\"i32\"]}");
    CHECK_STR_CONTAINS(exports, "{\"name\":\"ret_none\",\"params\":[],\"results\":[]}");
    CHECK_STR_CONTAINS(exports,
                       "{\"name\":\"output_then_trap\",\"params\":[],\"results\":[\"i32\"]}");

    /* A memory export is not a function. */
    wasi_exit = load_plugin("wasi_exit.wasm", NULL, 0, true);
    CHECK(wasi_exit != NULL, "wasi_exit.wasm did not load");
    exports = extism_plugin_exports(wasi_exit);
    CHECK(exports != NULL, "no exports for wasi_exit.wasm");
    CHECK(strstr(exports, "\"memory\"") == NULL, "the memory export is listed: %s", exports);
    CHECK_STR_CONTAINS(exports, "{\"name\":\"exit0\",\"params\":[],\"results\":[\"i32\"]}");

    /* Only main's exports count. */
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\",\"name\":\"lib\"},{\"path\":\"%s\",\"name\":\"main\"}]}",
             plugin_path("multi_lib.wasm"), plugin_path("multi_main.wasm"));
    multi = plugin_from_text(manifest, NULL, 0, false);
    CHECK(multi != NULL, "multi_lib + multi_main did not load");
    exports = extism_plugin_exports(multi);
    CHECK(exports != NULL, "no exports for the multi-module plugin");
    CHECK(strstr(exports, "\"add\"") == NULL, "lib's add is listed: %s", exports);
    CHECK_STR_CONTAINS(exports, "{\"name\":\"run\",\"params\":[],\"results\":[\"i32\"]}");

cleanup:
    extism_plugin_free(multi);
    extism_plugin_free(wasi_exit);
    extism_plugin_free(returns);
    extism_plugin_free(noop);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
