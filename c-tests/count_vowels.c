/* count_vowels.wasm: JSON output, the `total` var across calls, manifest config, and
 * extism_plugin_config merges. */
#include "check.h"

#define DEFAULT_VOWELS "aeiouAEIOU"
#define WITH_Y "aeiouyAEIOUY"

static bool set_config(ExtismPlugin *plugin, const char *json) {
    return extism_plugin_config(plugin, (const uint8_t *)json, strlen(json));
}

int main(void) {
    int failed = 0;
    char manifest[4096];
    ExtismPlugin *plugin = NULL;
    ExtismPlugin *configured = NULL;

    plugin = load_plugin("count_vowels.wasm", NULL, 0, false);
    CHECK(plugin != NULL, "count_vowels.wasm did not load");

    CHECK(extism_plugin_call(plugin, "count_vowels", (const uint8_t *)"Hello, World!", 13) == 0,
          "first call failed: %s", text_or_null(extism_plugin_error(plugin)));
    CHECK_NO_ERROR(plugin);
    CHECK(extism_plugin_output_length(plugin) ==
              strlen("{\"count\":3,\"total\":3,\"vowels\":\"" DEFAULT_VOWELS "\"}"),
          "output length %llu", (unsigned long long)extism_plugin_output_length(plugin));
    CHECK(memcmp(extism_plugin_output_data(plugin),
                 "{\"count\":3,\"total\":3,\"vowels\":\"" DEFAULT_VOWELS "\"}",
                 (size_t)extism_plugin_output_length(plugin)) == 0,
          "unexpected first output");

    /* The var `total` persists across calls. */
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "Hello, World!",
                      "{\"count\":3,\"total\":6,\"vowels\":\"" DEFAULT_VOWELS "\"}");

    /* extism_plugin_config merges keys; a string sets one and null removes it. */
    CHECK(extism_plugin_call(plugin, "no_such_export", NULL, 0) == -1, "call of a missing export");
    CHECK(extism_plugin_error(plugin) != NULL, "a failed call left no error");
    CHECK(set_config(plugin, "{\"vowels\":\"" WITH_Y "\"}"), "setting vowels was refused");
    CHECK(extism_plugin_error(plugin) == NULL, "a successful config did not clear the error");
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "Hey, you!",
                      "{\"count\":5,\"total\":11,\"vowels\":\"" WITH_Y "\"}");
    CHECK(set_config(plugin, "{\"other\":\"value\"}"), "setting another key was refused");
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "Hey, you!",
                      "{\"count\":5,\"total\":16,\"vowels\":\"" WITH_Y "\"}");
    CHECK(set_config(plugin, "{\"vowels\":null}"), "removing vowels was refused");
    CHECK(extism_plugin_error(plugin) == NULL, "config left an error");
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "Hey, you!",
                      "{\"count\":3,\"total\":19,\"vowels\":\"" DEFAULT_VOWELS "\"}");

    /* Anything but an object of strings and nulls is refused and changes nothing. */
    CHECK(!set_config(plugin, "[1]"), "[1] was accepted");
    CHECK(!set_config(plugin, "{\"vowels\":5}"), "a number value was accepted");
    CHECK(!set_config(plugin, "{\"vowels\":"), "truncated JSON was accepted");
    CHECK_CALL_OUTPUT(plugin, "count_vowels", "Hey, you!",
                      "{\"count\":3,\"total\":22,\"vowels\":\"" DEFAULT_VOWELS "\"}");

    /* Manifest config; vars start empty in a new plugin. */
    snprintf(manifest, sizeof manifest,
             "{\"wasm\":[{\"path\":\"%s\"}],\"config\":{\"vowels\":\"" WITH_Y "\"}}",
             plugin_path("count_vowels.wasm"));
    configured = plugin_from_text(manifest, NULL, 0, false);
    CHECK(configured != NULL, "manifest with config did not load");
    CHECK_CALL_OUTPUT(configured, "count_vowels", "Hey, you!",
                      "{\"count\":5,\"total\":5,\"vowels\":\"" WITH_Y "\"}");
    CHECK(set_config(configured, "{\"vowels\":\"y\"}"), "overriding manifest config was refused");
    CHECK_CALL_OUTPUT(configured, "count_vowels", "Hey, you!",
                      "{\"count\":2,\"total\":7,\"vowels\":\"y\"}");

cleanup:
    extism_plugin_free(configured);
    extism_plugin_free(plugin);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
