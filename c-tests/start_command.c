/* Calling an export named `_start` (docs/abi.md 6.5): the next call runs on a rebuilt store, with a
 * fresh instance of main and empty vars, while config set with extism_plugin_config is kept.
 *
 * start.wasm: `_start` bumps a counter and stores it in var "runs"; `get_runs` outputs that var
 * or "none"; `count` bumps the same counter and outputs it. As the var written by `_start` lives
 * in the store that the next call replaces, no later call can see it: `get_runs` after a
 * `_start` always gives "none", and `count` starts again at 1. */
#include "check.h"

/* `_start` counts nothing visible; `config` outputs the config value named by the input and
 * returns 1 when there is none. */
static const char CONFIG_WAT[] =
    "(module\n"
    "  (import \"extism:host/env\" \"input_offset\" (func $input_offset (result i64)))\n"
    "  (import \"extism:host/env\" \"config_get\" (func $config_get (param i64) (result i64)))\n"
    "  (import \"extism:host/env\" \"length\" (func $length (param i64) (result i64)))\n"
    "  (import \"extism:host/env\" \"output_set\" (func $output_set (param i64 i64)))\n"
    "  (global $starts (mut i32) (i32.const 0))\n"
    "  (func (export \"_start\")\n"
    "    (global.set $starts (i32.add (global.get $starts) (i32.const 1))))\n"
    "  (func (export \"config\") (result i32)\n"
    "    (local $value i64)\n"
    "    (local.set $value (call $config_get (call $input_offset)))\n"
    "    (if (i64.eqz (local.get $value)) (then (return (i32.const 1))))\n"
    "    (call $output_set (local.get $value) (call $length (local.get $value)))\n"
    "    (i32.const 0)))\n";

static bool call_start(ExtismPlugin *plugin) {
    int failed = 0;
    int32_t rc = extism_plugin_call(plugin, "_start", NULL, 0);
    CHECK(rc == 0, "_start returned %d (error: %s)", rc, text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
cleanup:
    return !failed;
}

static bool set_config(ExtismPlugin *plugin, const char *json) {
    return extism_plugin_config(plugin, (const uint8_t *)json, strlen(json));
}

int main(void) {
    int failed = 0;
    ExtismPlugin *plugin = NULL;

    plugin = load_plugin("start.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "start.wasm did not load");

    CHECK_CALL_OUTPUT(plugin, "get_runs", "", "none");
    CHECK_CALL_OUTPUT(plugin, "count", "", "1");
    CHECK_CALL_OUTPUT(plugin, "count", "", "2");
    CHECK(extism_plugin_var_set(plugin, "runs", (const uint8_t *)"host", 4),
          "extism_plugin_var_set refused");
    CHECK_CALL_OUTPUT(plugin, "get_runs", "", "host");

    /* The first _start: vars are emptied and the instance is new. */
    CHECK(call_start(plugin), "first _start");
    CHECK_CALL_OUTPUT(plugin, "get_runs", "", "none");
    CHECK_CALL_OUTPUT(plugin, "count", "", "1");
    CHECK_CALL_OUTPUT(plugin, "count", "", "2");

    /* Two _start calls in a row, the second on the store the first one left for it. */
    CHECK(call_start(plugin), "second _start");
    CHECK(call_start(plugin), "third _start");
    CHECK_CALL_OUTPUT(plugin, "count", "", "1");
    CHECK_CALL_OUTPUT(plugin, "get_runs", "", "none");
    /* Without _start, state persists again. */
    CHECK_CALL_OUTPUT(plugin, "count", "", "2");
    extism_plugin_free(plugin);

    /* Config merged with extism_plugin_config survives the rebuild. */
    plugin = plugin_from_text(CONFIG_WAT, NULL, 0, false);
    CHECK(plugin != NULL, "the config module did not load");
    CHECK(set_config(plugin, "{\"greeting\":\"hi\"}"), "config refused");
    CHECK_CALL_OUTPUT(plugin, "config", "greeting", "hi");
    CHECK(call_start(plugin), "_start of the config module");
    CHECK_CALL_OUTPUT(plugin, "config", "greeting", "hi");
    CHECK(set_config(plugin, "{\"other\":\"value\"}"), "second config refused");
    CHECK(call_start(plugin), "second _start of the config module");
    CHECK_CALL_OUTPUT(plugin, "config", "other", "value");
    CHECK_CALL_OUTPUT(plugin, "config", "greeting", "hi");
    CHECK(extism_plugin_call(plugin, "config", (const uint8_t *)"absent", 6) == 1,
          "an absent key was found: %s", text_or_null(extism_plugin_error(plugin)));

cleanup:
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
